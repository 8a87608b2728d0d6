import Foundation
import Synchronization
import XCTest
@testable import Gatehouse
import PostgreSQLSupport

/// What only the PostgreSQL store has: connection strings, reconnection, the migration lock,
/// the dialect's text. The store's behaviour itself is StoreTests, run against both stores.
final class PostgreSQLStoreTests: XCTestCase {
    let hash = "$argon2id$v=19$m=1024,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA"

    func testParametersAreNumberedOutsideQuotes() {
        XCTAssertEqual(PostgreSQLText.numberedParameters("SELECT ? , ?, '?', \"?x\" WHERE a = ?"),
                       "SELECT $1 , $2, '?', \"?x\" WHERE a = $3")
        XCTAssertEqual(PostgreSQLText.numberedParameters("a = ?2 OR ?12 IS NULL OR b = ?1"), "a = $2 OR $12 IS NULL OR b = $1")
        XCTAssertEqual(PostgreSQLText.numberedParameters("x = 'it''s ?' AND y = ?"), "x = 'it''s ?' AND y = $1")
    }

    func testPasswordsAreRedactedWhicheverWayTheyAreGiven() {
        XCTAssertEqual(PostgreSQLText.redacted("postgresql://gh:s3cr%40t@db.example:5432/gatehouse?sslmode=require"),
                       "postgresql://gh@db.example:5432/gatehouse?sslmode=require")
        XCTAssertEqual(PostgreSQLText.redacted("postgresql:///gatehouse?host=/run/postgresql&password=hunter2&user=gh"),
                       "postgresql:///gatehouse?host=/run/postgresql&password=***&user=gh")
        XCTAssertEqual(PostgreSQLText.redacted("postgresql://gh@h/db"), "postgresql://gh@h/db")
        XCTAssertEqual(PostgreSQLText.redacted("host=/run/postgresql PassWord = 'two words' user=gh"),
                       "host=/run/postgresql password=*** user=gh")
        XCTAssertEqual(PostgreSQLText.redacted("password=x"), "password=***")
        XCTAssertEqual(PostgreSQLText.redacted("dbname=gh\tpassword=x&y user=gh"), "dbname=gh\tpassword=***&y user=gh")
        XCTAssertEqual(PostgreSQLText.redacted("mypassword=x user=gh"), "mypassword=x user=gh", "only the key itself")
    }

    func testAWrongPasswordOrAMissingServerIsUnavailableAndNeverShowsThePassword() throws {
        let server = try PostgreSQLServer.shared()
        let missing = "postgresql://gatehouse:TOPSECRET@/gatehouse?host=\(server.directory)/nowhere"
        XCTAssertThrowsError(try Store.open(postgresql: missing, password: "ALSOSECRET")) { error in
            guard case let .unavailable(why)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertFalse("\(error)".contains("TOPSECRET"), why)
            XCTAssertFalse("\(error)".contains("ALSOSECRET"), why)
            XCTAssertTrue(why.contains("postgresql://gatehouse@/gatehouse"), why)
        }
    }

    func testBinaryValuesAndNULsRoundTrip() throws {
        let store = try Store.open(postgresql: try PostgreSQLServer.shared().createDatabase(), password: nil)
        let user = try store.createUser(username: "carol", passwordHash: hash)
        let bytes: [UInt8] = [0, 1, 0x7f, 0x80, 0xff, 0x5c, 0x78]
        let session = try store.createSession(userID: user.id, scopes: ["me"], clientAddress: "::1", userAgent: "t",
                                              now: 100, lifetime: 1000)
        XCTAssertEqual(try store.session(id: session.id)?.refreshKey, session.refreshKey)
        try store.insertRefreshToken(hash: bytes, sessionID: session.id, now: 100)
        XCTAssertEqual(try store.connection.query("SELECT hash FROM refresh_tokens", []) { $0.blob(0) }, [bytes])
        XCTAssertNil(try store.user(named: "car\0ol"), "no stored text holds a NUL, so nothing equals one")
        XCTAssertThrowsError(try store.createUser(username: "dave", fullName: "D\0", passwordHash: hash)) {
            XCTAssertEqual($0 as? StoreError, .invalid("text must not contain NUL characters"))
        }
    }

    func testALostConnectionIsReopenedByTheNextCall() throws {
        let server = try PostgreSQLServer.shared()
        let url = try server.createDatabase()
        let store = try Store.open(postgresql: url, password: nil)
        try store.createUser(username: "erin", passwordHash: hash)
        let database = String(url.split(separator: "/").last!.split(separator: "?").first!)
        try server.psql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)'")
        XCTAssertEqual(try store.user(named: "erin")?.username, "erin")
        try store.createUser(username: "frank", passwordHash: hash)
        XCTAssertEqual(try store.countUsers(), 2)
    }

    func testNodesMigratingAtOnceTakeTurns() throws {
        let url = try PostgreSQLServer.shared().createDatabase()
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do { _ = try Store.open(postgresql: url, password: nil) } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
        let store = try Store.open(postgresql: url, password: nil)
        XCTAssertEqual(try store.connection.integer("SELECT COUNT(*) FROM schema_migrations"), Int64(Store.migrations.count))
    }

    func testASchemaNewerThanTheBinaryIsRefused() throws {
        let url = try PostgreSQLServer.shared().createDatabase()
        let store = try Store.open(postgresql: url, password: nil)
        try store.connection.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)",
                                 [.int(Int64(Store.latestSchemaVersion + 1))])
        XCTAssertThrowsError(try Store.open(postgresql: url, password: nil)) {
            guard case let .invalid(why)? = $0 as? StoreError else { return XCTFail("\($0)") }
            XCTAssertTrue(why.hasPrefix("the database's schema is version \(Store.latestSchemaVersion + 1), newer than"), why)
        }
    }

    func testASQLiteSchemaNewerThanTheBinaryIsRefused() throws {
        let path = NSTemporaryDirectory() + "gh-newer-\(UUID().uuidString)/gatehouse.sqlite3"
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try Store.open(path: path)
        try store.connection.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)",
                                 [.int(Int64(Store.latestSchemaVersion + 1))])
        XCTAssertThrowsError(try Store.open(path: path)) {
            guard case let .invalid(why)? = $0 as? StoreError else { return XCTFail("\($0)") }
            XCTAssertTrue(why.contains("newer than this gatehouse knows"), why)
        }
    }

    func testEveryStepAfterTheBaselineHasAPostgreSQLForm() {
        for migration in Store.migrations where migration.version > Store.postgreSQLBaseline.version {
            XCTAssertNotNil(migration.postgresql, "migration \(migration.version)")
        }
        XCTAssertLessThanOrEqual(Store.postgreSQLBaseline.version, Store.latestSchemaVersion)
    }

    /// Two nodes: nothing shared but the database.
    func nodes(_ settings: [String: String] = [:]) throws -> (TestApp, TestApp) {
        let shared = settings.merging(["database": try PostgreSQLServer.shared().createDatabase()]) { $1 }
        return (try TestApp(shared), try TestApp(shared, demoUsers: false))
    }

    func testABanOnOneNodeHoldsOnTheOther() throws {
        let (a, b) = try nodes(ThrottleTests.addressRule)
        for _ in 0..<3 { XCTAssertResponse(a.login("johndoe", "wrong", from: "192.0.2.9"), 400, ThrottleTests.incorrect) }
        XCTAssertResponse(b.login("johndoe", "secret", from: "192.0.2.9"), 429, ThrottleTests.throttled,
                          headers: [("retry-after", "300")])
        XCTAssertEqual(b.login("johndoe", "secret", from: "192.0.2.10").status, 200)
        XCTAssertTrue(a.app.failureLedger.sharedAcrossNodes)
    }

    func testAnEndedSessionIsRefusedByTheOtherNodeOnItsNextRequest() throws {
        let (a, b) = try nodes()
        let token = try a.token()
        XCTAssertEqual(b.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(token)")]).status, 200)
        XCTAssertEqual(b.request("DELETE", "/users/me/sessions", headers: [("Authorization", "Bearer \(token)")]).status, 204)
        let other = try a.token()
        XCTAssertEqual(a.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(other)")]).status, 200)
        // The first session ends on B; A's very next request refuses its token.
        let sessions = b.request("GET", "/users/me/sessions", headers: [("Authorization", "Bearer \(other)")])
        XCTAssertEqual(sessions.status, 200)
        XCTAssertEqual(b.request("POST", "/logout", headers: [("Authorization", "Bearer \(other)")]).status, 204)
        XCTAssertResponse(a.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(other)")]), 401,
                          #"{"detail":"Could not validate credentials"}"#)
    }

    /// database_freshness = notifications: no counter read per request; the other node's
    /// logout is honoured once its notification has arrived (well within the 2 s allowed here).
    func testWithNotificationsAloneAnEndedSessionIsRefusedOnceTheNotificationArrives() throws {
        let (a, b) = try nodes(["database_freshness": "notifications"])
        XCTAssertEqual(a.app.config.databaseFreshness, .notifications)
        let token = try a.token()
        let bearer = [("Authorization", "Bearer \(token)")]
        XCTAssertEqual(a.request("GET", "/users/me/", headers: bearer).status, 200)
        XCTAssertEqual(b.request("POST", "/logout", headers: bearer).status, 204)
        let deadline = Date().addingTimeInterval(2)
        var status = a.request("GET", "/users/me/", headers: bearer).status
        while status == 200 && Date() < deadline {
            usleep(10_000)
            status = a.request("GET", "/users/me/", headers: bearer).status
        }
        XCTAssertResponse(a.request("GET", "/users/me/", headers: bearer), 401, #"{"detail":"Could not validate credentials"}"#)
    }

    func testStableThrottleKeysDoNotDependOnTheProcess() {
        XCTAssertEqual(Throttle.key(user: "JohnDoe", stable: true), Throttle.key(user: "johndoe", stable: true))
        XCTAssertEqual(Throttle.key("user", Array("johndoe".utf8), stable: true), 0xf619_655a_ab5d_acc5, "SHA-256(\"user\\0johndoe\")")
        XCTAssertNotEqual(Throttle.key(address: "192.0.2.7", stable: true), Throttle.key(address: "192.0.2.8", stable: true))
    }

    func testAnSQLiteStoreIsCopiedWholeIntoPostgreSQL() throws {
        let path = NSTemporaryDirectory() + "gh-copy-\(UUID().uuidString)/gatehouse.sqlite3"
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let source = try Store.open(path: path)
        try source.createUser(username: "gone", passwordHash: hash)
        let alice = try source.createUser(username: "Alice", email: "a@example.com", passwordHash: hash, scopes: ["me", "items"])
        _ = try source.deleteUser(id: 1)
        let bob = try source.createUser(username: "bob", passwordHash: hash, disabled: true)
        let last = try source.createUser(username: "last", passwordHash: hash)
        _ = try source.deleteUser(id: last.id)
        try source.createRole(name: "writer", permissions: ["users:write"])
        try source.createRole(name: "admin", permissions: ["users:read"])
        try source.grantRole(userID: alice.id, role: "writer")
        try source.grantRole(userID: alice.id, role: "admin")
        try source.insertAPIKey(APIKeyRecord(id: "k1", userID: bob.id, name: "ci", secretHash: [0, 0xff, 0x5c], scopes: ["me"],
                                             createdAt: 100, expiresAt: nil))
        let session = try source.createSession(userID: alice.id, scopes: ["me"], clientAddress: "::1", userAgent: "ua",
                                               now: 100, lifetime: 1000)
        try source.insertRefreshToken(hash: [1, 2, 3], sessionID: session.id, now: 100)
        try source.appendAudit(AuditEntry(time: 100, event: .loginFailed, userID: nil, username: "x", actor: "", address: "::1",
                                          requestID: "", outcome: "failed", detail: "password"))

        let target = try Store.open(postgresql: try PostgreSQLServer.shared().createDatabase(), password: nil)
        let copied = try source.copy(into: target)
        XCTAssertEqual(copied.map(\.table).prefix(7), ["users", "roles", "user_roles", "api_keys", "sessions", "refresh_tokens", "audit"])
        XCTAssertTrue(copied.allSatisfy { $0.source == $0.target }, "\(copied)")
        XCTAssertEqual(try target.user(named: "alice"), try source.user(named: "alice"), "ids, hashes, scopes and role order kept")
        XCTAssertEqual(try target.user(id: bob.id)?.disabled, true)
        XCTAssertEqual(try target.apiKey(id: "k1"), try source.apiKey(id: "k1"))
        XCTAssertEqual(try target.session(id: session.id), try source.session(id: session.id))
        XCTAssertEqual(try target.auditEntries().map(\.detail), ["password"])
        XCTAssertEqual(try target.createUser(username: "carol", passwordHash: hash).id, last.id + 1,
                       "an id is never handed out twice, even the deleted last one")

        XCTAssertThrowsError(try source.copy(into: target)) {
            XCTAssertEqual($0 as? StoreError, .invalid("the PostgreSQL store is not empty: users has rows"))
        }
    }
}
