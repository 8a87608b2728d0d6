import Logging
import Synchronization
import XCTest
@testable import Gatehouse

/// The audit trail: the store's append-only table, what App.handle records, and that no
/// row or log line carries a credential.
final class AuditTests: XCTestCase {
    func testTheStoreAppendsListsFiltersAndPrunes() throws {
        let t = try TestApp()
        let store = t.app.store
        try store.appendAudit(AuditEntry(time: 100, event: .loginFailed, username: "johndoe", address: "192.0.2.1", outcome: "failed"))
        try store.appendAudit(AuditEntry(time: 200, event: .loginSucceeded, userID: 1, username: "JohnDoe", requestID: "r1"))
        try store.appendAudit(AuditEntry(time: 300, event: .apiKeyCreated, userID: 2, username: "alice", actor: "root"))
        try store.appendAudit(AuditEntry(time: 400, event: AuditEvent(rawValue: "loginx.other"), username: "bob"))
        XCTAssertEqual(try store.auditEntries().map(\.time), [100, 200, 300, 400], "oldest first")
        XCTAssertEqual(try store.auditEntries(username: "johndoe").map(\.time), [100, 200], "names are case-insensitive")
        XCTAssertEqual(try store.auditEntries(username: "root").map(\.time), [300], "the actor matches too")
        XCTAssertEqual(try store.auditEntries(event: "login").map(\.time), [100, 200], "a subject, not a prefix of loginx")
        XCTAssertEqual(try store.auditEntries(event: "login.ok").map(\.requestID), ["r1"])
        XCTAssertEqual(try store.auditEntries(since: 250).map(\.time), [300, 400])
        XCTAssertEqual(try store.auditEntries(limit: 2).map(\.time), [300, 400], "the newest")
        XCTAssertThrowsError(try store.connection.run("UPDATE audit SET outcome = 'ok'"), "append-only")
        XCTAssertEqual(try store.pruneAudit(before: 250), 2)
        XCTAssertEqual(try store.auditEntries().map(\.time), [300, 400])
    }

    func testLoginsAreRecordedWithTheAddressAndRequestID() throws {
        let t = try TestApp(["throttle_address_max_failures": "2", "throttle_user_max_failures": "0"])
        XCTAssertEqual(t.login(from: "192.0.2.1", requestID: "req-ok").status, 200)
        XCTAssertEqual(t.login("johndoe", "wrong", from: "192.0.2.2", requestID: "req-bad").status, 400)
        XCTAssertEqual(t.login("nobody", "wrong", from: "192.0.2.2", requestID: "req-ban").status, 400)
        XCTAssertEqual(t.login(from: "192.0.2.2", requestID: "req-429").status, 429)
        let john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        let rows = try t.app.store.auditEntries()
        XCTAssertEqual(rows.map(\.event), [.loginSucceeded, .loginFailed, .loginFailed, .loginThrottled],
                       "a refused request writes nothing; the ban's start does")
        XCTAssertEqual(rows.map(\.requestID), ["req-ok", "req-bad", "req-ban", "req-ban"])
        XCTAssertEqual(rows.map(\.address), ["192.0.2.1", "192.0.2.2", "192.0.2.2", "192.0.2.2"])
        XCTAssertEqual(rows.map(\.outcome), ["ok", "failed", "failed", "throttled"])
        XCTAssertEqual(rows[0].userID, john.id)
        XCTAssertEqual(rows[1].userID, john.id)
        XCTAssertEqual(rows[2].username, "nobody")
        XCTAssertNil(rows[2].userID)
        XCTAssertEqual(rows[3].detail, "password, 300s")
        XCTAssertEqual(rows.map(\.time), Array(repeating: t.now, count: 4))
    }

    func testAdminChangesAndKeysAreRecordedAsEvents() throws {
        let t = try TestApp()
        try t.app.store.createRole(name: "admin", permissions: ["users:read", "users:write", "users:roles"], now: t.now)
        try t.app.store.createRole(name: "viewer", permissions: ["users:read"], now: t.now)
        let root = try t.addUser("root", "rootpass", scopes: ["me", "items"])
        try t.app.store.grantRole(userID: root.id, role: "admin")
        let admin = "Bearer " + (try t.token("root", "rootpass", scope: "me items users:read users:write users:roles"))
        let john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        let patch = t.request("PATCH", "/users/\(john.id)", headers: [("Authorization", admin), ("Content-Type", "application/json")],
                              body: #"{"disabled":true,"password":"brandnewpass","scopes":["me"],"roles":["viewer"],"email":"j@example.com"}"#)
        XCTAssertEqual(patch.status, 200, String(decoding: patch.body, as: UTF8.self))
        let changes = try t.app.store.auditEntries(username: "johndoe")
        XCTAssertEqual(changes.map(\.event), [.userDisabled, .passwordChanged, .scopesChanged, .rolesChanged, .userUpdated])
        XCTAssertEqual(changes.map(\.detail), ["", "", "-items", "+viewer", "email"])
        XCTAssertEqual(Set(changes.map(\.actor)), ["root"])

        let created = t.request("POST", "/users/me/api-keys", headers: [("Authorization", admin), ("Content-Type", "application/json")],
                                body: #"{"name":"ci","scopes":["me"]}"#)
        XCTAssertEqual(created.status, 201)
        let id = try XCTUnwrap(JSON.parse(created.body)["id"]?.stringValue)
        XCTAssertEqual(t.request("DELETE", "/users/me/api-keys/\(id)", headers: [("Authorization", admin)]).status, 204)
        XCTAssertEqual(t.request("DELETE", "/users/\(john.id)", headers: [("Authorization", admin)]).status, 204)
        let rest = try t.app.store.auditEntries(event: "apikey") + t.app.store.auditEntries(event: "user.deleted")
        XCTAssertEqual(rest.map(\.event), [.apiKeyCreated, .apiKeyRevoked, .userDeleted])
        XCTAssertEqual(rest.map(\.detail), ["key \(id)", "key \(id)", ""])
        XCTAssertEqual(rest.last?.userID, john.id, "the row outlives the account")
    }

    func testNoRowAndNoLogLineCarriesACredential() throws {
        let lines = CapturedLines()
        var logger = Logger(label: "audit-test") { _ in CapturingLogHandler(lines: lines) }
        logger.logLevel = .debug
        let t = try TestApp(["throttle_address_max_failures": "2", "throttle_user_max_failures": "2"], logger: logger)
        let token = try t.token()
        let created = t.request("POST", "/users/me/api-keys", headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                                body: #"{"name":"ci","scopes":["me"]}"#)
        let key = try XCTUnwrap(JSON.parse(created.body)["key"]?.stringValue)
        _ = t.login("johndoe", "wrongguess1", from: "192.0.2.1")
        _ = t.login("johndoe", "wrongguess2", from: "192.0.2.1")
        _ = t.request("GET", "/users/me/", headers: [("Authorization", TestApp.basic("alice", "basicguess"))], from: "192.0.2.7")
        _ = t.request("GET", "/users/me/", headers: [("X-API-Key", key + "x")], from: "192.0.2.8")
        let john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        let rows = try t.app.store.auditEntries()
        XCTAssertGreaterThanOrEqual(rows.count, 6)
        let secrets = ["secret", "wrongguess1", "wrongguess2", "basicguess", token, key, String(key.suffix(20)), john.passwordHash, "$argon2"]
        let auditLines = lines.all.filter { $0.hasPrefix(#"{"audit":"#) }
        XCTAssertEqual(auditLines.count, rows.count, "one JSON line a row")
        for text in rows.map(\.json.text) + lines.all {
            for secret in secrets { XCTAssertFalse(text.contains(secret), "\(secret.prefix(12))… in \(text)") }
        }
        for line in auditLines { XCTAssertNoThrow(try JSON.parse(line)) }
    }
}

final class CapturedLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

struct CapturingLogHandler: LogHandler {
    let lines: CapturedLines
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { lines.append(event.message.description) }
}
