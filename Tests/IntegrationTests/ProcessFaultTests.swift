import Foundation
import XCTest

/// Processes dying or being replaced under load through nginx: wrk counts every answer that
/// is not 2xx, exactly; none may fail but a request in flight on a worker killed mid-way.
final class ProcessFaultTests: XCTestCase {
    /// A JWT request: it reads the store (user, session) on every call.
    func start(_ config: [String: String] = [:]) throws -> (E2E, String) {
        let e = try E2E(config: ["workers": "2"].merging(config) { $1 })
        do { return (e, try e.token()) } catch {
            e.stop()
            throw error
        }
    }

    func testKillingAWorkerUnderLoadFailsOnlyItsRequestInFlight() throws {
        let (e, token) = try start()
        defer { e.stop() }
        let before = e.h.workerPIDs()
        XCTAssertEqual(before.count, 2)
        let wrk = try WrkRun(e.url("/auth/users/me/"), seconds: 3, connections: 4, headers: ["Authorization: Bearer \(token)"])
        usleep(1_000_000)
        let victim = before.first!
        kill(victim, SIGKILL)
        var after: Set<Int32> = []
        let deadline = Date().addingTimeInterval(1)
        repeat {
            after = e.h.workerPIDs()
            if after.count == 2 && !after.contains(victim) { break }
            usleep(20_000)
        } while Date() < deadline
        XCTAssertEqual(after.count, 2, "a replacement within a second")
        XCTAssertFalse(after.contains(victim))
        let result = try wrk.wait()
        print("kill -9 worker: \(result.summary)")
        XCTAssertGreaterThan(result.requests, 100, result.output)
        // One single-threaded worker holds one request at a time: that one may fail (nginx's 502).
        XCTAssertLessThanOrEqual(result.non2xx + result.socketErrors, 1, result.output)
        XCTAssertAnswer(try e.bearer("/auth/users/me/", token), 200, E2E.johnMe)
        XCTAssertTrue(e.h.serverLog().contains("was killed by signal 9"), e.h.serverLog())
        let replacement = after.subtracting(before)
        XCTAssertEqual(replacement.count, 1)
        XCTAssertTrue(Set(e.h.workerPIDs()).isSuperset(of: replacement), "the replacement is serving, not crashing")
    }

    func testSIGHUPUnderLoadFailsNothing() throws {
        let (e, token) = try start()
        defer { e.stop() }
        let old = e.h.workerPIDs()
        let wrk = try WrkRun(e.url("/auth/users/me/"), seconds: 4, connections: 4, headers: ["Authorization: Bearer \(token)"])
        for _ in 0..<3 {
            usleep(800_000)
            e.h.signalServer(SIGHUP)
        }
        let result = try wrk.wait()
        print("3 x SIGHUP: \(result.summary)")
        XCTAssertGreaterThan(result.requests, 100, result.output)
        XCTAssertEqual(result.non2xx, 0, result.output)
        XCTAssertEqual(result.socketErrors, 0, result.output)
        XCTAssertTrue(e.h.workerPIDs().isDisjoint(with: old), "the workers were replaced")
        XCTAssertEqual(e.h.serverLog().components(separatedBy: "reloaded:").count - 1, 3)
    }

    func testNginxReloadUnderLoadFailsNothing() throws {
        let (e, token) = try start()
        defer { e.stop() }
        let wrk = try WrkRun(e.url("/auth/users/me/"), seconds: 4, connections: 4, headers: ["Authorization: Bearer \(token)"])
        for _ in 0..<2 {
            usleep(1_200_000)
            let reload = try e.h.reloadNginx()
            XCTAssertEqual(reload.status, 0, reload.stderr)
        }
        let result = try wrk.wait()
        print("2 x nginx -s reload: \(result.summary)")
        XCTAssertGreaterThan(result.requests, 100, result.output)
        XCTAssertEqual(result.non2xx, 0, result.output)
    }

    /// kill -9 of the master while logins, refreshes, key and user creations stream in: its
    /// workers finish and leave, a new master starts on the same files, the database checks
    /// out, and every write a client saw succeed is there.
    func testKillingTheMasterLosesNoAcknowledgedWrite() throws {
        let (e, _) = try start(["refresh_tokens": "always"])
        defer { e.stop() }
        let workers = e.h.workerPIDs().union(e.h.loginWorkerPIDs())
        let journal = NSTemporaryDirectory() + "gatehouse-writes-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: journal, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: journal) }
        let stream = Process()
        stream.executableURL = URL(fileURLWithPath: try TestPython.path())
        stream.arguments = [Harness.packageRoot.appendingPathComponent("Tests/attack/write_stream.py").path,
                            "--base", e.url("/auth"), "--gatehouse", Harness.binary, "--config", e.h.configPath, "--seconds", "5"]
        stream.standardOutput = FileHandle(forWritingAtPath: journal)
        stream.standardError = FileHandle.nullDevice
        try stream.run()

        let enough = Date().addingTimeInterval(15)
        while (try String(contentsOfFile: journal, encoding: .utf8)).components(separatedBy: "\n").count < 12, Date() < enough {
            usleep(50_000)
        }
        e.h.signalServer(SIGKILL)
        XCTAssertNotNil(e.h.waitForServerExit(timeout: 5))
        // The orphaned workers notice within their poll timeout (1 s) and exit after their request.
        let gone = Date().addingTimeInterval(10)
        while workers.contains(where: { kill($0, 0) == 0 }), Date() < gone { usleep(50_000) }
        XCTAssertFalse(workers.contains { kill($0, 0) == 0 }, "the old workers left")
        XCTAssertTrue(Harness.wait(stream, timeout: 30))

        let database = e.h.dir + "/data/gatehouse.sqlite3"
        XCTAssertEqual(try Harness.run("/usr/bin/sqlite3", [database, "PRAGMA integrity_check"]).text, "ok\n")
        try e.h.restartServer()

        let entries = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
        }
        XCTAssertGreaterThan(entries.count, 10)
        print("kill -9 master: \(entries.count) acknowledged writes, each checked after the restart")
        var lastRefresh: [String: String] = [:]
        for entry in entries {
            switch entry["kind"] {
            case "session":
                let n = try Harness.run("/usr/bin/sqlite3", [database, "SELECT count(*) FROM sessions WHERE id = '\(entry["id"]!)'"])
                XCTAssertEqual(n.text, "1\n", "session \(entry["id"]!)")
            case "key":
                let r = try e.get("/auth/users/me/", ["X-API-Key: \(entry["key"]!)"])
                XCTAssertEqual(r.status, 200, "key \(entry["id"]!): \(r.text)")
            case "user":
                XCTAssertEqual(try e.h.gatehouse(["user", "show", entry["name"]!]).status, 0, "user \(entry["name"]!)")
            case "refresh":
                lastRefresh[entry["session"]!] = entry["token"]!
            default:
                XCTFail("unexpected journal entry \(entry)")
            }
        }
        // The newest refresh token of each session: its rotation was stored, so it still works.
        for (session, token) in lastRefresh {
            let r = try e.curl(["--data-urlencode", "grant_type=refresh_token", "--data-urlencode", "refresh_token=\(token)",
                                e.url("/auth/token")])
            XCTAssertEqual(r.status, 200, "refresh of session \(session): \(r.text)")
        }
    }
}

/// wrk in the background against one URL; `wait()` parses its summary.
final class WrkRun {
    struct Result {
        var requests: Int
        var non2xx: Int
        var socketErrors: Int
        var output: String
        var summary: String { "\(requests) requests, \(non2xx) non-2xx, \(socketErrors) socket errors" }
    }

    let process = Process()
    let output: String

    init(_ url: String, seconds: Int, connections: Int, headers: [String] = []) throws {
        output = NSTemporaryDirectory() + "gatehouse-wrk-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: output, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
        process.arguments = ["-t1", "-c\(connections)", "-d\(seconds)s", "--timeout", "10s"]
            + headers.flatMap { ["-H", $0] } + [url]
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle(forWritingAtPath: output)
        try process.run()
    }

    /// "N requests in …", "Non-2xx or 3xx responses: N", "Socket errors: connect A, read B, write C, timeout D".
    func wait() throws -> Result {
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let text = try String(contentsOfFile: output, encoding: .utf8)
        func number(after marker: String) -> Int? {
            guard let range = text.range(of: marker) else { return nil }
            return Int(text[range.upperBound...].prefix { $0.isNumber })
        }
        guard let requests = text.split(separator: "\n").first(where: { $0.contains(" requests in ") })
            .flatMap({ Int($0.trimmingCharacters(in: .whitespaces).prefix { $0.isNumber }) })
        else { throw HarnessError("no summary from wrk: \(text)") }
        // "Socket errors: connect 0, read 3, write 0, timeout 0", only when there were some.
        let socketLine = text.split(separator: "\n").first { $0.contains("Socket errors:") } ?? ""
        let socketErrors = socketLine.split(separator: ",").compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
        return Result(requests: requests, non2xx: number(after: "Non-2xx or 3xx responses: ") ?? 0,
                      socketErrors: socketErrors, output: text)
    }
}
