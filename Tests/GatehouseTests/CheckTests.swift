import XCTest
@testable import Gatehouse

/// GET /check (nginx auth_request) and POST /token/introspect (RFC 7662).
final class CheckTests: XCTestCase {
    var t: TestApp!
    override func setUpWithError() throws { t = try TestApp() }

    func testCheckAllowsAValidCredentialWithTheScopesAsked() throws {
        let token = try t.token(scope: "me")
        let ok = t.request("GET", "/check", query: "scope=me", headers: [("Authorization", "Bearer \(token)")])
        XCTAssertResponse(ok, 204, "", headers: [("x-gatehouse-user", "johndoe"), ("x-gatehouse-scopes", "me")])
        XCTAssertEqual(t.request("GET", "/check", headers: [("Authorization", "Bearer \(token)")]).status, 204)
        XCTAssertEqual(t.request("GET", "/check", headers: [("Authorization", TestApp.basic("johndoe", "secret"))]).status, 204)
    }

    func testCheckAnswersOnly401Or403OnFailure() throws {
        XCTAssertResponse(t.request("GET", "/check"), 401, #"{"detail":"Not authenticated"}"#, headers: [("www-authenticate", "Bearer")])
        XCTAssertResponse(t.request("GET", "/check", headers: [("Authorization", "Bearer nope")]), 401,
                          #"{"detail":"Could not validate credentials"}"#)
        let token = try t.token(scope: "me")
        XCTAssertResponse(t.request("GET", "/check", query: "scope=me+items", headers: [("Authorization", "Bearer \(token)")]),
                          403, #"{"detail":"Not enough permissions"}"#)
        let alice = try t.token("alice", "secretalice")
        XCTAssertResponse(t.request("GET", "/check", headers: [("Authorization", "Bearer \(alice)")]), 403, #"{"detail":"Inactive user"}"#)
    }

    func testIntrospectionNeedsTheCallerToHoldTokensIntrospect() throws {
        let token = try t.token(scope: "items")
        XCTAssertResponse(t.request("POST", "/token/introspect", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                    body: "token=\(token)"), 401, #"{"detail":"Not authenticated"}"#, headers: [("www-authenticate", "Bearer")])
        XCTAssertResponse(t.request("POST", "/token/introspect", headers: [
            ("Authorization", "Bearer \(token)"), ("Content-Type", "application/x-www-form-urlencoded"),
        ], body: "token=\(token)"), 403, #"{"detail":"Not enough permissions"}"#)
        XCTAssertEqual(t.request("GET", "/token/introspect", headers: [("Authorization", "Bearer \(token)")]).status, 405)
    }

    func testIntrospectionReportsWhatTheTokenGrantsNow() throws {
        let token = try t.token(scope: "items")
        let john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        XCTAssertResponse(t.introspect(token), 200,
                          #"{"active":true,"scope":"items","username":"johndoe","token_type":"Bearer","exp":\#(Int(t.now) + 1800),"iat":\#(t.now),"sub":"johndoe","uid":\#(john.id)}"#,
                          headers: [("cache-control", "no-store"), ("pragma", "no-cache")])
        XCTAssertResponse(t.introspect("forged.token.here"), 200, #"{"active":false}"#)
        XCTAssertResponse(t.introspect(try t.token("alice", "secretalice")), 200, #"{"active":false}"#)
        XCTAssertResponse(t.request("POST", "/token/introspect", headers: [
            ("Authorization", TestApp.basic("introspector", "introspectorpass")), ("Content-Type", "application/x-www-form-urlencoded"),
        ], body: ""), 422, #"{"detail":[{"type":"missing","loc":["body","token"],"msg":"Field required","input":null}]}"#)
        t.advance(1800)
        XCTAssertResponse(t.introspect(token), 200, #"{"active":false}"#)
    }

    func testIntrospectionAppliesTheChecksOfAProtectedRoute() throws {
        let token = try t.token(scope: "me items")
        t.advance(1)
        var john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        john.scopes = ["me"]
        try t.app.store.updateUser(john, now: t.now)
        XCTAssertResponse(t.introspect(token), 200, #"{"active":false}"#)  // issued before a scope was taken away
        try t.app.store.deleteUser(id: john.id)
        let again = try t.addUser("johndoe", "secret", scopes: ["me", "items"])
        XCTAssertNotEqual(again.id, john.id)
        XCTAssertResponse(t.introspect(token), 200, #"{"active":false}"#)  // the name's new account
    }

    func testUnknownCheckRuleDenies() throws {
        let token = "Bearer " + (try t.token(scope: "me"))
        XCTAssertResponse(t.request("GET", "/check", query: "role=admin", headers: [("Authorization", token)]), 403,
                          #"{"detail":"Not enough permissions"}"#)
        XCTAssertResponse(t.request("GET", "/check", query: "rôle=admin", headers: [("Authorization", token)]), 403,
                          #"{"detail":"Not enough permissions"}"#)
        XCTAssertResponse(t.request("GET", "/check", query: "scope=me&colour=blue", headers: [("Authorization", token)]), 403,
                          #"{"detail":"Not enough permissions"}"#)
        XCTAssertEqual(t.request("GET", "/check", query: "scope=me", headers: [("Authorization", token)]).status, 204)
    }

    func testCheckRolesPermissionsAndUsers() throws {
        try t.app.store.createRole(name: "editor", permissions: ["pages:write"], now: t.now)
        let john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        try t.app.store.grantRole(userID: john.id, role: "editor")
        let basic = TestApp.basic("johndoe", "secret")
        func check(_ query: String) -> Int { t.request("GET", "/check", query: query, headers: [("Authorization", basic)]).status }
        XCTAssertEqual(check("role=editor"), 204)
        XCTAssertEqual(check("role=admin,editor"), 204, "one of a list")
        XCTAssertEqual(check("role=editor&role=admin"), 403, "repeated: each")
        XCTAssertEqual(check("permission=pages:write"), 204)
        XCTAssertEqual(check("permission=pages:read"), 403)
        XCTAssertEqual(check("user=JohnDoe,root"), 204)
        XCTAssertEqual(check("user=root"), 403)
        XCTAssertEqual(check("role="), 403, "an empty rule denies")
        XCTAssertEqual(check("scope="), 204, "no scope asked")
    }
}
