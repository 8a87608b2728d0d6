import Foundation
import XCTest

/// The process side through a real nginx: routing under both mounts, body limits,
/// worker crashes, reload, drain, and the inherited-socket start.
final class ServerTests: XCTestCase {
    func testRoutingAtRootAndUnderPrefix() throws {
        let h = try Harness.start()
        defer { h.stop() }
        for mount in ["", "/auth"] {
            let ok = try h.curl([h.url(mount + "/health")])
            XCTAssertEqual(ok.status, 200, mount)
            XCTAssertEqual(ok.text, #"{"status":"ok"}"#)
            XCTAssertEqual(ok.header("content-type"), "application/json")
            XCTAssertEqual(ok.header("content-length"), "15")

            let missing = try h.curl([h.url(mount + "/no/such/path")])
            XCTAssertEqual(missing.status, 404)
            XCTAssertEqual(missing.text, #"{"detail":"Not Found"}"#)

            let wrongMethod = try h.curl(["-X", "POST", h.url(mount + "/health")])
            XCTAssertEqual(wrongMethod.status, 405)
            XCTAssertEqual(wrongMethod.header("allow"), "GET")
            XCTAssertEqual(wrongMethod.text, #"{"detail":"Method Not Allowed"}"#)

            let slash = try h.curl([h.url(mount + "/health/?a=1&b=%20")])
            XCTAssertEqual(slash.status, 307)
            XCTAssertEqual(slash.header("location"), "http://127.0.0.1:\(h.port)\(mount)/health?a=1&b=%20")
            XCTAssertEqual(slash.body, [])
        }
        // The Host header as the client sent it, port included, builds the redirect.
        let hosted = try h.curl(["-H", "Host: example.com:8443", h.url("/auth/health/")])
        XCTAssertEqual(hosted.header("location"), "http://example.com:8443/auth/health")
        // Outside the prefix's path segment nothing leaks into the mount.
        XCTAssertEqual(try h.curl([h.url("/authx/health")]).status, 404)
    }

    func testBodyLimitAndBodyHandling() throws {
        let h = try Harness.start(config: ["max_body_size": "1000"])
        defer { h.stop() }
        for mount in ["", "/auth"] {
            let fits = try h.curl(["--data-binary", String(repeating: "a", count: 1000), h.url(mount + "/health")])
            XCTAssertEqual(fits.status, 405, "a body within the limit is read, then routing answers")
            let over = try h.curl(["--data-binary", String(repeating: "a", count: 1001), h.url(mount + "/health")])
            XCTAssertEqual(over.status, 413)
            XCTAssertEqual(over.text, #"{"detail":"Request body too large"}"#)
            XCTAssertEqual(over.header("content-type"), "application/json")
            // Far over the limit (but under nginx's 4m): still our JSON, not a broken pipe.
            let file = h.dir + "/big.bin"
            FileManager.default.createFile(atPath: file, contents: Data(count: 3 << 20))
            let huge = try h.curl(["--data-binary", "@" + file, h.url(mount + "/no/route")])
            XCTAssertEqual(huge.status, 413)
            XCTAssertEqual(huge.text, #"{"detail":"Request body too large"}"#)
        }
        // The workers are fine afterwards.
        XCTAssertEqual(try h.curl([h.url("/auth/health")]).status, 200)
    }

    func testKilledWorkerIsReplacedUnderLoad() throws {
        let h = try Harness.start(workers: 2)
        defer { h.stop() }
        let before = h.workerPIDs()
        XCTAssertEqual(before.count, 2)
        let load = try LoadRun(urls: Array(repeating: h.url("/auth/health"), count: 400))
        usleep(200_000)
        let victim = before.first!
        kill(victim, SIGKILL)
        let start = Date()
        var after: Set<Int32> = []
        while Date().timeIntervalSince(start) < 1.5 {
            after = h.workerPIDs()
            if after.count == 2 && !after.contains(victim) { break }
            usleep(20_000)
        }
        XCTAssertEqual(after.count, 2, "a new worker within a second")
        XCTAssertFalse(after.contains(victim))
        let codes = load.wait()
        XCTAssertEqual(codes.count, 400)
        // Only a request the killed worker was in the middle of may fail.
        XCTAssertLessThanOrEqual(codes.filter { $0 != 200 }.count, 1, "\(codes.filter { $0 != 200 })")
        let again = try LoadRun(urls: Array(repeating: h.url("/health"), count: 50)).wait()
        XCTAssertEqual(again, Array(repeating: 200, count: 50))
        XCTAssertTrue(h.serverLog().contains("was killed by signal 9"), h.serverLog())
    }

    func testReloadReplacesWorkersWithoutFailingARequest() throws {
        var settings = ["max_body_size": "100000", "workers": "2"]
        let h = try Harness.start(config: settings)
        defer { h.stop() }
        let body = h.dir + "/150k.bin"
        FileManager.default.createFile(atPath: body, contents: Data(count: 150_000))
        XCTAssertEqual(try h.curl(["--data-binary", "@" + body, h.url("/auth/health")]).status, 413)
        let old = h.workerPIDs()

        // An old worker is mid-request (a streamed slow upload at /) while the reload happens.
        let slow = try SlowUpload(h, bytes: 90_000, rate: "45k")
        let loads = try (0..<2).map { _ in try LoadRun(urls: Array(repeating: h.url("/auth/health"), count: 500)) }
        usleep(150_000)
        settings["max_body_size"] = "200000"
        settings["data_dir"] = h.dir + "/data"
        try h.writeConfig(settings)
        h.signalServer(SIGHUP)
        XCTAssertTrue(slow.isRunning, "the upload outlasts the signal")
        XCTAssertEqual(try slow.answer().status, 405, "the request in flight completes")
        for load in loads {
            let codes = load.wait()
            XCTAssertEqual(codes.count, 500)
            XCTAssertEqual(codes.filter { $0 != 200 }, [], "no request fails during a reload")
        }
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline && !h.workerPIDs().isDisjoint(with: old) { usleep(20_000) }
        let new = h.workerPIDs()
        XCTAssertEqual(new.count, 2)
        XCTAssertTrue(new.isDisjoint(with: old), "old workers \(old), now \(new)")
        XCTAssertEqual(try h.curl(["--data-binary", "@" + body, h.url("/auth/health")]).status, 405, "the new limit applies")
    }

    func testBrokenConfigOnReloadKeepsServing() throws {
        let h = try Harness.start()
        defer { h.stop() }
        let old = h.workerPIDs()
        try "max_body_size = lots\n".write(toFile: h.configPath, atomically: true, encoding: .utf8)
        h.signalServer(SIGHUP)
        usleep(300_000)
        XCTAssertEqual(h.workerPIDs(), old)
        XCTAssertEqual(try h.curl([h.url("/health")]).status, 200)
        XCTAssertTrue(h.serverLog().contains("reload failed"), h.serverLog())
    }

    func testTermLetsTheRequestInFlightFinish() throws {
        let h = try Harness.start(workers: 1)
        defer { h.stop() }
        let upload = try SlowUpload(h, bytes: 120_000, rate: "60k")
        usleep(800_000)
        XCTAssertTrue(upload.isRunning)
        h.signalServer(SIGTERM)
        let answer = try upload.answer()
        XCTAssertEqual(answer.status, 405, "the slow request still gets its full answer")
        XCTAssertEqual(answer.text, #"{"detail":"Method Not Allowed"}"#)
        XCTAssertEqual(h.waitForServerExit(timeout: 10), 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.socketPath), "the socket file is removed")
    }

    func testSecondServerOnTheSameSocketIsRefused() throws {
        let h = try Harness.start(workers: 1)
        defer { h.stop() }
        let second = try h.gatehouse(["serve", "--listen", "unix:" + h.socketPath, "--workers", "1"])
        XCTAssertNotEqual(second.status, 0)
        XCTAssertTrue(second.stderr.contains("in use"), second.stderr)
        XCTAssertEqual(try h.curl([h.url("/health")]).status, 200)
    }

    func testStaleSocketFileIsReplacedButOtherFilesAreNot() throws {
        let h = try Harness.start(workers: 1)
        defer { h.stop() }
        // A socket file whose server died (nothing listens) must not stop the next start.
        h.signalServer(SIGKILL)
        XCTAssertNotNil(h.waitForServerExit(timeout: 5))
        XCTAssertTrue(FileManager.default.fileExists(atPath: h.socketPath))
        let next = Process()
        next.executableURL = URL(fileURLWithPath: Harness.binary)
        next.arguments = ["serve", "--config", h.configPath, "--listen", "unix:" + h.socketPath, "--socket-mode", "0666"]
        next.environment = Harness.cleanEnvironment([:])
        next.standardError = FileHandle(forWritingAtPath: try Harness.createFile(h.dir + "/next.log"))
        try next.run()
        defer { if next.isRunning { kill(next.processIdentifier, SIGKILL) } }
        var status = 0
        for _ in 0..<100 where status != 200 {
            usleep(50_000)
            status = (try? h.curl([h.url("/health")]).status) ?? 0
        }
        XCTAssertEqual(status, 200)
        kill(next.processIdentifier, SIGTERM)
        XCTAssertTrue(Harness.wait(next, timeout: 10))
        XCTAssertEqual(next.terminationStatus, 0)

        FileManager.default.createFile(atPath: h.dir + "/plain-file", contents: Data("keep".utf8))
        let refused = try Harness.run(Harness.binary, ["serve", "--listen", "unix:" + h.dir + "/plain-file", "--config", h.configPath])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("not a socket"), refused.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: h.dir + "/plain-file"), Data("keep".utf8))
    }

    func testInheritedSocketThroughSpawnFCGI() throws {
        let h = try Harness.start(workers: 1, server: .spawnFCGI)
        defer { h.stop() }
        XCTAssertEqual(try h.curl([h.url("/auth/health")]).text, #"{"status":"ok"}"#)
        XCTAssertEqual(try h.curl(["-X", "DELETE", h.url("/health")]).status, 405)
        XCTAssertEqual(try h.curl([h.url("/auth/health/")]).header("location"), "http://127.0.0.1:\(h.port)/auth/health")
    }
}

/// A POST to /health whose body curl sends slowly; at / nginx streams it to the worker
/// (fastcgi_request_buffering off), so the worker stays mid-request for bytes/rate seconds.
final class SlowUpload {
    let process = Process()
    let output: String

    init(_ h: Harness, bytes: Int, rate: String) throws {
        let file = h.dir + "/slow-\(UUID().uuidString).bin"
        FileManager.default.createFile(atPath: file, contents: Data(count: bytes))
        output = file + ".out"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sS", "-i", "--max-time", "30", "--limit-rate", rate, "--data-binary", "@" + file, h.url("/health")]
        process.standardOutput = FileHandle(forWritingAtPath: try Harness.createFile(output))
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    func answer() throws -> HTTPResult {
        guard Harness.wait(process, timeout: 20) else { throw HarnessError("slow upload did not finish") }
        return try Harness.parseResponse(Array(FileManager.default.contents(atPath: output) ?? Data()))
    }
}
