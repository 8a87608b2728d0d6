import XCTest
@testable import Gatehouse

/// What the hostile-input battery found, pinned here without processes: hash counts that
/// must not tell an unknown user from a wrong password, integers past Int64 that pydantic
/// takes, and which database errors are a 503.
final class BatteryTests: XCTestCase {
    func hashes(_ body: () -> Void) -> Int {
        let before = PasswordHasher.computations.load(ordering: .relaxed)
        body()
        return PasswordHasher.computations.load(ordering: .relaxed) - before
    }

    /// Every way to fail a password check costs the one hash a wrong password costs, on each
    /// door that takes a password: /token, HTTP Basic and the sign-in page.
    func testEveryFailedPasswordCostsOneHash() throws {
        let t = try TestApp(["refuse_disabled_login": "true"])
        let failures: [(what: String, user: String, password: String)] = [
            ("unknown user", "nobody", "secret"),
            ("unknown user, another spelling", "NoBody.Else+1@example.com", "x"),
            ("wrong password", "johndoe", "wrong"),
            ("wrong password of a disabled user", "alice", "wrong"),
            ("right password of a disabled user, refused", "alice", "secretalice"),
            ("empty password", "johndoe", "\u{0}"),
        ]
        for (what, user, password) in failures {
            XCTAssertEqual(hashes { XCTAssertEqual(t.login(user, password, scope: "me").status, 400, what) }, 1, "/token: \(what)")
            XCTAssertEqual(hashes {
                let status = t.request("GET", "/users/me/", headers: [("Authorization", TestApp.basic(user, password))]).status
                XCTAssertTrue(status == 401 || status == 400, "\(what): \(status)")
            }, 1, "Basic: \(what)")
            XCTAssertEqual(hashes {
                let form = "username=\(user.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&password=\(password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
                let r = t.request("POST", "/login", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form)
                XCTAssertNotEqual(r.status, 303, "\(what): the sign-in page let it in")
            }, 1, "sign-in page: \(what)")
        }
        XCTAssertEqual(hashes { XCTAssertEqual(t.login("johndoe", "secret", scope: "me").status, 200) }, 1, "and a right one")
    }

    /// pydantic's int has no bound: an offset past every row lists nothing, an id no row can
    /// have is a 404; neither is a parsing error (schemathesis generates both).
    func testIntegersPastInt64AreIntegers() throws {
        let t = try TestApp()
        try t.app.store.createRole(name: "admin", permissions: ["users:read"], now: t.now)
        let root = try t.addUser("root", "rootpass", scopes: ["me"])
        try t.app.store.grantRole(userID: root.id, role: "admin")
        let admin = [("Authorization", TestApp.basic("root", "rootpass"))]
        XCTAssertResponse(t.request("GET", "/users/", query: "offset=18446744073709551617", headers: admin), 200, "[]")
        XCTAssertResponse(t.request("GET", "/users/9223372036854775808", headers: admin), 404, #"{"detail":"User not found"}"#)
        XCTAssertResponse(t.request("GET", "/users/", query: "limit=99999999999999999999", headers: admin), 422,
                          #"{"detail":[{"type":"less_than_equal","loc":["query","limit"],"msg":"Input should be less than or equal to 100","input":"99999999999999999999","ctx":{"le":100}}]}"#)
        XCTAssertResponse(t.request("GET", "/users/", query: "offset=-99999999999999999999", headers: admin), 422,
                          #"{"detail":[{"type":"greater_than_equal","loc":["query","offset"],"msg":"Input should be greater than or equal to 0","input":"-99999999999999999999","ctx":{"ge":0}}]}"#)
        XCTAssertEqual(Model.saturatingInteger("+123456789012345678901234567890"), Int.max)
        XCTAssertNil(Model.saturatingInteger("12x"))
        XCTAssertNil(Model.saturatingInteger("-"))
    }

    /// The master's hourly pruning keeps the database bounded: sessions that ended or expired
    /// before the cut go, with their refresh tokens; live ones stay.
    func testPruningRemovesOnlySessionsThatAreOver() throws {
        let t = try TestApp(["refresh_tokens": "always", "session_lifetime_days": "1"])
        func count(_ table: String) throws -> Int64 { try t.app.store.connection.integer("SELECT count(*) FROM \(table)") }
        let ended = try t.token()
        XCTAssertEqual(t.request("POST", "/logout", headers: [("Authorization", "Bearer \(ended)")]).status, 204)
        t.advance(2 * 86400)  // the first session has expired by now
        let live = try t.token()
        XCTAssertEqual(try count("sessions"), 2)
        XCTAssertEqual(try count("refresh_tokens"), 2)
        XCTAssertEqual(try t.app.store.pruneSessions(before: t.now), 1)
        XCTAssertEqual(try count("sessions"), 1)
        XCTAssertEqual(try count("refresh_tokens"), 1)
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(live)")]).status, 200)
        XCTAssertEqual(try t.app.store.pruneSessions(before: t.now), 0)
    }

    func testUnavailableMeansTheDatabaseMayTakeItLater() {
        let transient: [Int32] = [13, 8, 5, 6, 10, 14, 10 | (3 << 8), 8 | (2 << 8), 5 | (1 << 8)]  // FULL READONLY BUSY LOCKED IOERR CANTOPEN …
        for code in transient {
            XCTAssertTrue(StoreError.sqlite(code: code, message: "").isUnavailable, "code \(code)")
        }
        for code: Int32 in [1, 11, 19, 19 | (8 << 8), 20, 26] {  // ERROR CORRUPT CONSTRAINT(_UNIQUE) MISMATCH NOTADB
            XCTAssertFalse(StoreError.sqlite(code: code, message: "").isUnavailable, "code \(code)")
        }
        XCTAssertFalse(StoreError.duplicate("user").isUnavailable)
        XCTAssertTrue(StoreError.unavailable("lost the connection").isUnavailable)
        for state in ["08006", "53100", "57P01", "25006", "55P03", "57014"] {
            XCTAssertTrue(StoreError.postgresql(state: state, message: "").isUnavailable, state)
        }
        for state in ["23505", "42P01", "22P02", "40001"] {  // unique, no table, bad text, serialization (retried inside)
            XCTAssertFalse(StoreError.postgresql(state: state, message: "").isUnavailable, state)
        }
    }
}
