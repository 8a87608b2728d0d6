import XCTest
@testable import Gatehouse

/// GET /check (nginx auth_request) and GET /token/introspect (HTTPBearer).
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

    func testIntrospect() throws {
        let token = try t.token(scope: "items")
        let r = t.request("GET", "/token/introspect", headers: [("Authorization", "Bearer \(token)")])
        XCTAssertResponse(r, 200, #"{"active":true,"sub":"johndoe","token_type":"Bearer","scope":"items","exp":\#(Int(t.now) + 1800)}"#,
                          headers: [("cache-control", "no-store")])
        XCTAssertResponse(t.request("GET", "/token/introspect", headers: [("Authorization", "Bearer forged.token.here")]),
                          200, #"{"active":false}"#)
        let alice = try t.token("alice", "secretalice")
        XCTAssertResponse(t.request("GET", "/token/introspect", headers: [("Authorization", "Bearer \(alice)")]), 200, #"{"active":false}"#)
        XCTAssertResponse(t.request("GET", "/token/introspect"), 401, #"{"detail":"Not authenticated"}"#, headers: [("www-authenticate", "Bearer")])
        XCTAssertResponse(t.request("GET", "/token/introspect", headers: [("Authorization", "Basic am9objpwYXNz")]), 401,
                          #"{"detail":"Not authenticated"}"#, headers: [("www-authenticate", "Bearer")])
        t.advance(1800)
        XCTAssertResponse(t.request("GET", "/token/introspect", headers: [("Authorization", "Bearer \(token)")]), 200, #"{"active":false}"#)
    }
}
