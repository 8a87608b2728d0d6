import Foundation
import XCTest

/// The security review's fixes that only a real server shows: the main pool's bound on
/// password hashes, privilege drop, the redirect's host and cache headers, through nginx.
final class SecurityThroughNginxTests: XCTestCase {
    /// F4: with max_concurrent_hashes = 0 the main pool never hashes: a Basic cache miss is
    /// a 503 at once, while tokens and the login pool work as ever.
    func testTheMainPoolCanBeKeptFromHashingAtAll() throws {
        let e = try E2E(config: ["max_concurrent_hashes": "0"])
        defer { e.stop() }
        XCTAssertAnswer(try e.get("/auth/users/me/", [], ["-u", "johndoe:wrong"]), 503, #"{"detail":"Service unavailable"}"#,
                        [("retry-after", "1")])
        XCTAssertAnswer(try e.get("/auth/users/me/", [], ["-u", "nobody:x"]), 503, #"{"detail":"Service unavailable"}"#)
        let token = try e.token()
        XCTAssertAnswer(try e.bearer("/auth/users/me/", token), 200, E2E.johnMe)
        e.assertNoLeaks()
    }

    /// F4: a flood of wrong Basic passwords gets 401s and 503s, never an error, and the bound
    /// frees again afterwards.
    func testAFloodOfWrongBasicPasswordsIsBoundedAndRecovers() throws {
        let e = try E2E(config: ["max_concurrent_hashes": "1", "argon2_memory_kib": "8192", "argon2_time_cost": "2"])
        defer { e.stop() }
        let flood = """
            for i in $(seq 32); do
                curl -sS --max-time 30 -o /dev/null -w '%{http_code}\\n' -u "flood$((i % 4)):wrong$i" '\(e.url("/auth/users/me/"))' &
            done
            wait
            """
        let out = try Harness.run("/bin/bash", ["-c", flood])
        let codes = String(decoding: out.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        XCTAssertEqual(codes.count, 32, out.stderr)
        XCTAssertTrue(codes.allSatisfy { $0 == "401" || $0 == "503" }, "\(codes)")
        XCTAssertAnswer(try e.get("/auth/users/me/", [], ["-u", "johndoe:wrong"]), 401, E2E.incorrectLogin)
        XCTAssertEqual(try e.get("/auth/users/me/", [], ["-u", "johndoe:secret"]).status, 200)
    }

    /// F25: `user = nobody` — the master binds and prepares as root, then every process runs as nobody.
    func testServeDropsToTheConfiguredUser() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to drop privileges") }
        let e = try E2E(config: ["user": "nobody"])
        defer { e.stop() }
        let nobody = try XCTUnwrap(getpwnam("nobody")).pointee.pw_uid
        let master = try XCTUnwrap(e.h.server?.processIdentifier)
        let processes = [master] + Array(e.h.workerPIDs()) + Array(e.h.loginWorkerPIDs())
        XCTAssertGreaterThanOrEqual(processes.count, 3)
        for pid in processes {
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            let uids = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(whereSeparator: \.isWhitespace).dropFirst()
            XCTAssertEqual(uids.map(Array.init), Array(repeating: Substring(String(nobody)), count: 4), "pid \(pid): \(status)")
        }
        var info = stat()
        XCTAssertEqual(stat(e.h.dir + "/data/gatehouse.sqlite3", &info), 0)
        XCTAssertEqual(info.st_uid, nobody)
        XCTAssertEqual(try e.login().status, 200)
        let token = try e.token()
        XCTAssertAnswer(try e.bearer("/auth/users/me/", token), 200, E2E.johnMe)
    }

    /// F11 and F16 through nginx.
    func testRedirectHostAndCacheHeaders() throws {
        let e = try E2E()
        defer { e.stop() }
        let hostile = try e.get("/auth/users/me", ["Host: good.example@evil.example"])
        XCTAssertEqual(hostile.status, 307)
        let location = try XCTUnwrap(hostile.header("location"))
        XCTAssertFalse(location.contains("evil") || location.contains("@"), location)
        XCTAssertTrue(location.hasPrefix("http://localhost:"), location)
        XCTAssertEqual(try e.get("/auth/users/me", ["Host: site.example:8080"]).header("location"), "http://site.example:8080/auth/users/me/")
        let login = try e.login()
        XCTAssertEqual(login.header("cache-control"), "no-store")
        XCTAssertEqual(login.header("pragma"), "no-cache")
        XCTAssertEqual(try e.bearer("/auth/users/me/", try e.token()).header("cache-control"), "no-store")
    }
}

/// log_format = json and access_log = on, as a log collector reads the server's output.
final class StructuredLogThroughNginxTests: XCTestCase {
    func testJSONAccessLinesThroughNginx() throws {
        let e = try E2E(config: ["log_format": "json", "access_log": "true"])
        defer { e.stop() }
        XCTAssertEqual(try e.get("/auth/users/me/", [], ["-u", "johndoe:secret"]).status, 200)
        XCTAssertEqual(try e.get("/auth/users/me/", [], ["-u", "johndoe:wrong"]).status, 401)
        var lines: [[String: Any]] = []
        for _ in 0..<50 {
            lines = e.h.serverLog().split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }.filter { $0["message"] as? String == "access" && $0["route"] as? String == "/users/me/" }
            if lines.count >= 2 { break }
            usleep(100_000)
        }
        XCTAssertEqual(lines.count, 2, e.h.serverLog())
        XCTAssertEqual(lines.first?["route"] as? String, "/users/me/")
        XCTAssertEqual(lines.first?["status"] as? String, "200")
        XCTAssertEqual(lines.last?["status"] as? String, "401")
        XCTAssertEqual((lines.first?["request_id"] as? String)?.count, 32, "nginx's $request_id")
        XCTAssertFalse(e.h.serverLog().contains("wrong") || e.h.serverLog().contains("am9obmRvZ"), "no credential is logged")
    }
}
