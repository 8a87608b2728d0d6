import Foundation
import XCTest

/// The database refusing writes, through nginx: a full file system (a small tmpfs mounted
/// here), a read-only file, another process holding the write lock. Each time writes answer
/// `503 {"detail":"Service unavailable"}` with Retry-After, reads and token checks keep
/// working, nothing is corrupted, and writes work again once the cause is gone.
final class StoreFaultTests: XCTestCase {
    static let unavailable = #"{"detail":"Service unavailable"}"#

    /// A write of each kind a client makes: a login (a new session), a key, an admin change.
    func assertWritesUnavailable(_ e: E2E, rootID: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let login = try e.login()
        XCTAssertAnswer(login, 503, Self.unavailable, [("retry-after", "1")], file: file, line: line)
        let key = try e.curl(["-u", "johndoe:secret", "-H", "Content-Type: application/json", "-d", #"{"name":"during"}"#,
                              e.url("/auth/users/me/api-keys")])
        XCTAssertAnswer(key, 503, Self.unavailable, [("retry-after", "1")], file: file, line: line)
        let patch = try e.curl(["-u", "root:rootpass", "-X", "PATCH", "-H", "Content-Type: application/json",
                                "-d", #"{"full_name":"Changed"}"#, e.url("/auth/users/\(rootID)")])
        XCTAssertAnswer(patch, 503, Self.unavailable, [("retry-after", "1")], file: file, line: line)
    }

    /// A JWT, Basic, an API key and the gate, all answering as usual.
    func assertReadsWork(_ e: E2E, token: String, key: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertAnswer(try e.bearer("/auth/users/me/", token), 200, E2E.johnMe, file: file, line: line)
        XCTAssertAnswer(try e.get("/auth/users/me/", [], ["-u", "johndoe:secret"]), 200, E2E.johnMe, file: file, line: line)
        XCTAssertAnswer(try e.get("/auth/users/me/", ["X-API-Key: \(key)"]), 200, E2E.johnMe, file: file, line: line)
        let gate = try e.bearer("/auth/check?scope=me", token)
        XCTAssertEqual(gate.status, 204, gate.text, file: file, line: line)
        XCTAssertEqual(gate.header("x-gatehouse-user"), "johndoe", file: file, line: line)
    }

    func assertWritesWork(_ e: E2E, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try e.login().status, 200, file: file, line: line)
        let key = try e.curl(["-u", "johndoe:secret", "-H", "Content-Type: application/json", "-d", #"{"name":"after"}"#,
                              e.url("/auth/users/me/api-keys")])
        XCTAssertEqual(key.status, 201, key.text, file: file, line: line)
    }

    func createKey(_ e: E2E) throws -> String {
        let r = try e.curl(["-u", "johndoe:secret", "-H", "Content-Type: application/json", "-d", #"{"name":"before","scopes":["me"]}"#,
                            e.url("/auth/users/me/api-keys")])
        XCTAssertEqual(r.status, 201, r.text)
        let json = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any]
        guard let key = json?["key"] as? String else { throw HarnessError("no key in \(r.text)") }
        e.assertNoLeaks()  // the one answer that shows the key
        e.secrets.append(key)
        return key
    }

    func rootID(_ e: E2E) throws -> Int {
        let r = try e.get("/auth/users/?limit=100", [], ["-u", "root:rootpass"])
        let users = try JSONSerialization.jsonObject(with: Data(r.body)) as? [[String: Any]] ?? []
        guard let id = users.first(where: { $0["username"] as? String == "root" })?["id"] as? Int else {
            throw HarnessError("no root in \(r.text)")
        }
        return id
    }

    func sqlite(_ database: String, _ sql: String) throws -> String {
        let out = try Harness.run("/usr/bin/sqlite3", [database, sql])
        XCTAssertEqual(out.status, 0, out.stderr)
        return out.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testFullFileSystem() throws {
        let mount = try MountedTmpfs(megabytes: 16)
        defer { mount.unmount() }
        let e = try E2E(config: ["data_dir": mount.path + "/data"])
        defer { e.stop() }
        let token = try e.token()
        let key = try createKey(e)
        let id = try rootID(e)
        let database = mount.path + "/data/gatehouse.sqlite3"
        // An empty WAL, so that the next write needs new blocks and cannot reuse old ones.
        _ = try sqlite(database, "PRAGMA wal_checkpoint(TRUNCATE)")
        let filler = mount.path + "/filler"
        _ = try Harness.run("/bin/dd", ["if=/dev/zero", "of=" + filler, "bs=65536"])
        XCTAssertEqual(try mount.freeBytes(), 0, "the file system is full")

        try assertWritesUnavailable(e, rootID: id)
        try assertReadsWork(e, token: token, key: key)

        try FileManager.default.removeItem(atPath: filler)
        try assertWritesWork(e)
        XCTAssertEqual(try sqlite(database, "PRAGMA integrity_check"), "ok")
        XCTAssertFalse(e.h.serverLog().contains("Internal Server Error"))
        e.assertNoLeaks()
    }

    /// `user = nobody`, so the file mode binds the workers; SIGHUP makes them open it again.
    func testReadOnlyDatabase() throws {
        let e = try E2E(config: ["user": "nobody"])
        defer { e.stop() }
        let token = try e.token()
        let key = try createKey(e)
        let id = try rootID(e)
        let database = e.h.dir + "/data/gatehouse.sqlite3"

        chmod(database, 0o400)
        try reloadWorkers(e.h)
        try assertWritesUnavailable(e, rootID: id)
        try assertReadsWork(e, token: token, key: key)

        chmod(database, 0o600)
        try reloadWorkers(e.h)
        try assertWritesWork(e)
        XCTAssertEqual(try sqlite(database, "PRAGMA integrity_check"), "ok")
        e.assertNoLeaks()
    }

    /// The sqlite3 shell in a write transaction: a write waits database_busy_timeout_ms, then
    /// 503; reads (WAL) go on; once the shell commits, writes work again.
    func testAnotherProcessHoldingTheWriteLock() throws {
        let e = try E2E(config: ["database_busy_timeout_ms": "1000"])
        defer { e.stop() }
        let token = try e.token()
        let key = try createKey(e)
        let id = try rootID(e)
        let database = e.h.dir + "/data/gatehouse.sqlite3"

        let shell = try SQLiteShell(database)
        defer { shell.stop() }
        try shell.send("BEGIN IMMEDIATE;", until: "BEGIN IMMEDIATE;")
        try assertWritesUnavailable(e, rootID: id)
        try assertReadsWork(e, token: token, key: key)

        try shell.send("COMMIT;", until: "COMMIT;")
        try assertWritesWork(e)
        XCTAssertEqual(try sqlite(database, "PRAGMA integrity_check"), "ok")
        e.assertNoLeaks()
    }

    /// SIGHUP, then wait until every worker is one started after it.
    func reloadWorkers(_ h: Harness) throws {
        let old = h.workerPIDs().union(h.loginWorkerPIDs())
        h.signalServer(SIGHUP)
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let now = h.workerPIDs().union(h.loginWorkerPIDs())
            if now.count >= 2, now.isDisjoint(with: old) { return }
            usleep(50_000)
        }
        throw HarnessError("workers not replaced after SIGHUP: \(h.serverLog())")
    }
}

/// A tmpfs of a few megabytes on a fresh folder; unmounted (and the folder removed) by `unmount`.
/// A machine where mount is refused fails the test: the full-disk check must not be skipped quietly.
struct MountedTmpfs {
    let path: String

    init(megabytes: Int) throws {
        var template = Array("/tmp/gatehouse-tmpfs-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
        path = String(cString: made)
        chmod(path, 0o755)
        let out = try Harness.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0755", "tmpfs", path])
        guard out.status == 0 else {
            rmdir(path)
            throw HarnessError("cannot mount a tmpfs on \(path) (root needed): \(out.stderr)")
        }
    }

    func freeBytes() throws -> Int {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw HarnessError("statvfs \(path) failed") }
        return Int(info.f_bavail) * Int(info.f_bsize)
    }

    func unmount() {
        _ = try? Harness.run("/bin/umount", [path])
        rmdir(path)
    }
}

/// The sqlite3 command-line shell, fed one statement at a time (`-echo`: each is printed
/// back once it has run, which is what `send(_:until:)` waits for).
final class SQLiteShell {
    let process = Process()
    let input = Pipe()
    let output = Pipe()

    init(_ database: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = ["-echo", database]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    func send(_ statement: String, until echo: String) throws {
        input.fileHandleForWriting.write(Data((statement + "\n").utf8))
        var seen = ""
        let deadline = Date().addingTimeInterval(10)
        while !seen.contains(echo) {
            guard Date() < deadline else { throw HarnessError("sqlite3 did not run \(statement): \(seen)") }
            seen += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        }
        // The echo comes before the statement runs: a statement after it proves it ran.
        input.fileHandleForWriting.write(Data("SELECT 'ran';\n".utf8))
        while !seen.contains("\nran") && !seen.hasPrefix("ran") {
            guard Date() < deadline else { throw HarnessError("sqlite3 did not run \(statement): \(seen)") }
            seen += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        }
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        if !Harness.wait(process, timeout: 5) {
            kill(process.processIdentifier, SIGKILL)
            _ = Harness.wait(process, timeout: 5)
        }
    }
}
