import Foundation
import XCTest

/// `gatehouse doctor` against a running serve behind nginx: all OK and exit 0 when set up
/// right, then one thing broken at a time, each named as FAIL with exit status 1.
final class DoctorTests: XCTestCase {
    var h: Harness!
    var settings: [String: String] = [:]

    override func setUpWithError() throws {
        h = try Harness.start()
        settings = try Self.read(h.configPath)
        settings["listen"] = "unix:" + h.socketPath
        try write(settings, to: h.configPath)
        chmod(h.dir + "/data", 0o700)
    }

    override func tearDown() {
        h?.stop()
    }

    static func read(_ path: String) throws -> [String: String] {
        var settings: [String: String] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { settings[parts[0]] = parts[1] }
        }
        return settings
    }

    func write(_ settings: [String: String], to path: String) throws {
        try settings.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)\n" }.joined()
            .write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
    }

    func doctor(config: String? = nil, nginxConf: String? = nil) throws -> ProcessOutput {
        try Harness.run(Harness.binary, [
            "doctor", "--config", config ?? h.configPath, "--nginx-binary", "/usr/sbin/nginx",
            "--nginx-conf", nginxConf ?? h.dir + "/nginx.conf",
        ])
    }

    /// Doctor fails, and its FAIL lines name `check` (and mention `detail`).
    func assertFails(_ out: ProcessOutput, _ check: String, _ detail: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(out.status, 1, out.text, file: file, line: line)
        let failures = out.text.split(separator: "\n").filter { $0.hasPrefix("FAIL ") }
        XCTAssertTrue(failures.contains { $0.hasPrefix("FAIL \(check)") && $0.contains(detail) }, out.text, file: file, line: line)
        XCTAssertTrue(out.text.contains("\n     fix: "), "a failure says how to fix it", file: file, line: line)
    }

    /// A configuration like the harness's, `changes` applied, in a file of its own.
    func variant(_ changes: [String: String]) throws -> String {
        let path = h.dir + "/variant-\(UUID().uuidString).conf"
        try write(settings.merging(changes) { $1 }, to: path)
        return path
    }

    /// A copy of the data folder, for breaking the database without touching the running one's.
    func copiedData() throws -> (config: String, database: String) {
        let copy = h.dir + "/data-copy"
        XCTAssertEqual(try Harness.run("/bin/cp", ["-a", h.dir + "/data", copy]).status, 0)
        XCTAssertEqual(try Harness.run("/usr/bin/sqlite3", [copy + "/gatehouse.sqlite3", "PRAGMA wal_checkpoint(TRUNCATE);"]).status, 0)
        return (try variant(["data_dir": copy]), copy + "/gatehouse.sqlite3")
    }

    func testAllPassWhenSetUpRight() throws {
        let out = try doctor()
        XCTAssertEqual(out.status, 0, out.text + out.stderr)
        XCTAssertFalse(out.text.contains("FAIL"), out.text)
        for name in ["socket folder", "socket " + h.socketPath, "login socket " + h.loginSocketPath, "data folder", "database ",
                     "database integrity", "migrations", "secret key file", "nginx user: nginx's workers run as nobody",
                     "nginx prefix /auth/", "clock"] {
            XCTAssertTrue(out.text.contains("OK   " + name), "\(name) in \(out.text)")
        }
        XCTAssertTrue(out.text.hasSuffix("checks passed\n"), out.text)
    }

    func testASocketNginxCannotConnectTo() throws {
        chmod(h.socketPath, 0o600)
        defer { chmod(h.socketPath, 0o666) }
        assertFails(try doctor(), "socket \(h.socketPath)", "nginx's user nobody cannot connect")
    }

    func testALoginSocketMissingWhileTheLoginPoolIsOn() throws {
        assertFails(try doctor(config: try variant(["login_listen": "unix:\(h.dir)/elsewhere-login.sock"])),
                    "login socket \(h.dir)/elsewhere-login.sock", "missing while login_pool is on")
    }

    func testASocketFolderOwnedBySomeoneElse() throws {
        guard let nobody = getpwnam("nobody") else { throw XCTSkip("no user nobody") }
        chown(h.dir, nobody.pointee.pw_uid, gid_t.max)
        defer { chown(h.dir, 0, gid_t.max) }
        assertFails(try doctor(), "socket folder \(h.dir)", "another account could replace the sockets")
    }

    func testADataFolderOthersCanEnter() throws {
        chmod(h.dir + "/data", 0o755)
        assertFails(try doctor(), "data folder", "mode 0755")
    }

    func testAKeyFileOthersCanReadOrThatIsMissing() throws {
        let secret = h.dir + "/data/secret_key"
        chmod(secret, 0o644)
        assertFails(try doctor(), "secret key file \(secret)", "mode 0644")
        chmod(secret, 0o600)
        XCTAssertEqual(rename(secret, secret + ".away"), 0)
        defer { rename(secret + ".away", secret) }
        assertFails(try doctor(), "secret key file \(secret)", "missing")
    }

    func testACorruptedDatabase() throws {
        let (config, database) = try copiedData()
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: database))
        try handle.seek(toOffset: 4096)  // pages 2 and 3, headers included
        handle.write(Data(repeating: 0xA5, count: 8192))
        try handle.close()
        assertFails(try doctor(config: config), "database integrity", "malformed")
    }

    func testAMigrationLevelNewerThanTheBinary() throws {
        let (config, database) = try copiedData()
        XCTAssertEqual(try Harness.run("/usr/bin/sqlite3", [database, "INSERT INTO schema_migrations VALUES (9999, 0);"]).status, 0)
        assertFails(try doctor(config: config), "migrations", "migration 9999, newer than this binary's")
    }

    func testAClockBehindTheStore() throws {
        XCTAssertEqual(try h.gatehouse(["user", "add", "johndoe", "--password-stdin"], stdin: Array("a-long-enough-secret\n".utf8)).status, 0)
        let (config, database) = try copiedData()
        let later = Int(Date().timeIntervalSince1970) + 7200
        XCTAssertEqual(try Harness.run("/usr/bin/sqlite3", [database, "UPDATE users SET created_at = \(later);"]).status, 0)
        assertFails(try doctor(config: config), "clock", "behind the newest record in the store")
    }

    func testAPrefixTheNginxLocationDoesNotCut() throws {
        let shipped = try String(contentsOfFile: h.dir + "/gatehouse-prefix.conf", encoding: .utf8)
        try shipped.replacingOccurrences(of: "location /auth/ {", with: "location /api/ {")
            .write(toFile: h.dir + "/gatehouse-mismatch.conf", atomically: true, encoding: .utf8)
        let conf = try String(contentsOfFile: h.dir + "/nginx.conf", encoding: .utf8)
            .replacingOccurrences(of: "include \(h.dir)/gatehouse-prefix.conf;", with: "include \(h.dir)/gatehouse-mismatch.conf;")
            .replacingOccurrences(of: "pid \(h.dir)/nginx.pid;", with: "pid \(h.dir)/nginx-mismatch.pid;")
        try conf.write(toFile: h.dir + "/nginx-mismatch.conf", atomically: true, encoding: .utf8)
        assertFails(try doctor(nginxConf: h.dir + "/nginx-mismatch.conf"), "nginx prefix /api/",
                    "cuts /auth off, but the location is /api/")
    }

    func testAUserThatDoesNotExist() throws {
        assertFails(try doctor(config: try variant(["user": "no-such-gatehouse-user"])), "user", "no such user")
    }
}
