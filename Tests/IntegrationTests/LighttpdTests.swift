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
        let lighttpd = try Lighttpd.start(conf: conf, in: dir)
        defer { lighttpd.stop() }

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

/// lighttpd's FastCGI Authorizer role in front of a static folder and a CGI script: the
/// rule from bin-environment, the identity reaching the CGI script's environment.
final class LighttpdAuthorizerTests: XCTestCase {
    func testAuthorizerProtectsStaticFilesAndACGIScript() throws {
        var template = Array("/tmp/gatehouse-lta-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try Harness.freePort()
        try FileManager.default.createDirectory(atPath: dir + "/www/private", withIntermediateDirectories: true)
        try "private page\n".write(toFile: dir + "/www/private/page.txt", atomically: true, encoding: .utf8)
        try "printf 'Content-Type: text/plain\\r\\n\\r\\n'\necho \"user=$GATEHOUSE_USER id=$GATEHOUSE_USER_ID scopes=$GATEHOUSE_SCOPES\"\n"
            .write(toFile: dir + "/www/private/env.sh", atomically: true, encoding: .utf8)
        for path in [dir, dir + "/www", dir + "/www/private"] { chmod(path, 0o755) }
        chmod(dir + "/www/private/page.txt", 0o644)
        chmod(dir + "/www/private/env.sh", 0o755)
        let settings = E2E.settings.map { "\($0.key) = \($0.value)\n" }.joined() + "data_dir = \(dir)/data\n"
        try settings.write(toFile: dir + "/gatehouse.conf", atomically: true, encoding: .utf8)
        func cli(_ args: [String], stdin: String = "") throws {
            let out = try Harness.run(Harness.binary, args + ["--config", dir + "/gatehouse.conf"], stdin: Array(stdin.utf8))
            XCTAssertEqual(out.status, 0, out.stderr)
        }
        try cli(["user", "add", "johndoe", "--scopes", "me,items", "--password-stdin"], stdin: "secret\n")
        let conf = """
            server.document-root = "\(dir)/www"
            server.bind = "127.0.0.1"
            server.port = \(port)
            server.errorlog = "\(dir)/lighttpd-error.log"
            server.modules = ("mod_fastcgi", "mod_cgi")
            cgi.assign = (".sh" => "/bin/sh")
            fastcgi.server = (
              "/auth" => (( "socket" => "\(dir)/gh.sock", "bin-path" => "\(Harness.binary)",
                            "bin-environment" => ("GATEHOUSE_CONFIG" => "\(dir)/gatehouse.conf"),
                            "check-local" => "disable", "max-procs" => 1 )),
              "/private/" => (( "socket" => "\(dir)/authz.sock", "bin-path" => "\(Harness.binary)",
                            "bin-environment" => ("GATEHOUSE_CONFIG" => "\(dir)/gatehouse.conf",
                                                  "GATEHOUSE_REQUIRE" => "scope=items"),
                            "check-local" => "disable", "mode" => "authorizer", "max-procs" => 1 ))
            )
            """
        let lighttpd = try Lighttpd.start(conf: conf, in: dir)
        defer { lighttpd.stop() }
        func get(_ path: String, _ args: [String] = []) throws -> HTTPResult? {
            let out = try Harness.run("/usr/bin/curl", ["-sS", "-i", "--max-time", "5"] + args + ["http://127.0.0.1:\(port)" + path])
            return out.status == 0 ? try Harness.parseResponse(out.stdout) : nil
        }
        for _ in 0..<100 where try get("/auth/health")?.status != 200 { usleep(50_000) }

        let anonymous = try XCTUnwrap(get("/private/page.txt"))
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertEqual(anonymous.header("www-authenticate"), "Bearer")
        XCTAssertEqual(try get("/private/page.txt", ["-u", "johndoe:secret"])?.text, "private page\n")
        let login = try XCTUnwrap(get("/auth/token", ["-d", "username=johndoe&password=secret&scope=me items"]))
        let token = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(login.body)) as? [String: Any])?["access_token"] as? String)
        XCTAssertEqual(try get("/private/page.txt", ["-H", "Authorization: Bearer \(token)"])?.status, 200)
        let meOnly = try XCTUnwrap(get("/auth/token", ["-d", "username=johndoe&password=secret&scope=me"]))
        let narrow = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(meOnly.body)) as? [String: Any])?["access_token"] as? String)
        XCTAssertEqual(try get("/private/page.txt", ["-H", "Authorization: Bearer \(narrow)"])?.status, 403, "the rule needs items")
        let key = try XCTUnwrap(get("/auth/users/me/api-keys", ["-u", "johndoe:secret", "-H", "Content-Type: application/json",
                                                              "-d", #"{"name":"lt","scopes":["me","items"]}"#]))
        let apiKey = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(key.body)) as? [String: Any])?["key"] as? String)
        XCTAssertEqual(try get("/private/page.txt", ["-H", "X-API-Key: \(apiKey)"])?.status, 200)
        XCTAssertEqual(try get("/private/env.sh", ["-u", "johndoe:secret"])?.text, "user=johndoe id=1 scopes=me items\n")
        let signIn = try XCTUnwrap(get("/auth/login", ["-d", "username=johndoe&password=secret&rd=/private/page.txt"]))
        XCTAssertEqual(signIn.status, 303)
        let cookie = try XCTUnwrap(signIn.header("set-cookie")?.split(separator: ";").first.map(String.init))
        XCTAssertEqual(try get("/private/page.txt", ["-H", "Cookie: \(cookie)"])?.status, 200, "the browser's session cookie")
    }
}

/// A private lighttpd in the foreground, stopped by PID.
struct Lighttpd {
    let process: Process

    static func start(conf: String, in dir: String) throws -> Lighttpd {
        try conf.write(toFile: dir + "/lighttpd.conf", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/lighttpd")
        process.arguments = ["-D", "-f", dir + "/lighttpd.conf"]
        process.environment = Harness.cleanEnvironment([:])
        process.standardError = FileHandle(forWritingAtPath: try Harness.createFile(dir + "/lighttpd.out"))
        try process.run()
        return Lighttpd(process: process)
    }

    func stop() {
        kill(process.processIdentifier, SIGTERM)
        if !Harness.wait(process, timeout: 10) { kill(process.processIdentifier, SIGKILL) }
    }
}
