import Foundation
import XCTest

/// lighttpd starting Gatehouse itself through `bin-path` (fd 0 is the listening socket).
final class LighttpdTests: XCTestCase {
    func testLighttpdBinPath() throws {
        var template = Array("/tmp/gatehouse-lt-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        chmod(dir, 0o755)
        let port = try Harness.freePort()
        try "data_dir = \(dir)\n".write(toFile: dir + "/gatehouse.conf", atomically: true, encoding: .utf8)
        let conf = """
            server.document-root = "\(dir)"
            server.bind = "127.0.0.1"
            server.port = \(port)
            server.errorlog = "\(dir)/lighttpd-error.log"
            server.modules = ("mod_fastcgi")
            fastcgi.server = ("/auth" => ((
                "socket" => "\(dir)/lighttpd.sock",
                "bin-path" => "\(Harness.binary)",
                "bin-environment" => ("GATEHOUSE_CONFIG" => "\(dir)/gatehouse.conf"),
                "check-local" => "disable",
                "max-procs" => 1
            )))
            """
        try conf.write(toFile: dir + "/lighttpd.conf", atomically: true, encoding: .utf8)
        let lighttpd = Process()
        lighttpd.executableURL = URL(fileURLWithPath: "/usr/sbin/lighttpd")
        lighttpd.arguments = ["-D", "-f", dir + "/lighttpd.conf"]
        lighttpd.environment = Harness.cleanEnvironment([:])
        lighttpd.standardError = FileHandle(forWritingAtPath: try Harness.createFile(dir + "/lighttpd.out"))
        try lighttpd.run()
        defer {
            kill(lighttpd.processIdentifier, SIGTERM)
            if !Harness.wait(lighttpd, timeout: 10) { kill(lighttpd.processIdentifier, SIGKILL) }
        }

        func get(_ args: [String]) throws -> HTTPResult? {
            let out = try Harness.run("/usr/bin/curl", ["-sS", "-i", "--max-time", "5"] + args)
            return out.status == 0 ? try Harness.parseResponse(out.stdout) : nil
        }
        var health: HTTPResult?
        for _ in 0..<100 {
            health = try get(["http://127.0.0.1:\(port)/auth/health"])
            if health?.status == 200 { break }
            usleep(50_000)
        }
        let log = (try? String(contentsOfFile: dir + "/lighttpd-error.log", encoding: .utf8)) ?? ""
        XCTAssertEqual(health?.status, 200, log)
        XCTAssertEqual(health?.text, #"{"status":"ok"}"#)
        let redirect = try get(["http://127.0.0.1:\(port)/auth/health/"])
        XCTAssertEqual(redirect?.status, 307)
        XCTAssertEqual(redirect?.header("location"), "http://127.0.0.1:\(port)/auth/health")
        XCTAssertEqual(try get(["-d", "x", "http://127.0.0.1:\(port)/auth/health"])?.status, 405)
        XCTAssertEqual(try get(["http://127.0.0.1:\(port)/auth/nothing"])?.text, #"{"detail":"Not Found"}"#)
    }
}
