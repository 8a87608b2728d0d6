import XCTest
@testable import Gatehouse

/// POST /token and the tutorial005 routes, answer by answer.
final class LoginTests: XCTestCase {
    var t: TestApp!
    override func setUpWithError() throws { t = try TestApp() }

    func testLoginIssuesATokenWithNoStoreHeaders() throws {
        let r = t.login()
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["content-type"], "application/json")
        XCTAssertEqual(r.headers["cache-control"], "no-store")
        XCTAssertEqual(r.headers["pragma"], "no-cache")
        let body = try JSON.parse(r.body)
        XCTAssertEqual(body.objectValue?.map(\.0), ["access_token", "token_type"])
        XCTAssertEqual(body["token_type"], "bearer")
        let token = try XCTUnwrap(body["access_token"]?.stringValue)
        XCTAssertEqual(Base64.urlDecode(token.split(separator: ".")[0]), Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let claims = try t.app.keys.verify(token, now: t.now)
        XCTAssertEqual(claims.first { $0.0 == "sub" }?.1, "johndoe")
        XCTAssertEqual(claims.first { $0.0 == "scope" }?.1, "me items")
        XCTAssertEqual(claims.first { $0.0 == "exp" }?.1, .int(Int(t.now) + 30 * 60))
    }

    func testGrantedScopesAreLimitedToTheUsersOwnInRequestedOrder() throws {
        let token = try t.token(scope: "items  admin\tme items")
        let claims = try t.app.keys.verify(token, now: t.now)
        XCTAssertEqual(claims.first { $0.0 == "scope" }?.1, "items me")
    }

    func testMissingFieldsAre422InFieldOrder() {
        XCTAssertResponse(
            t.request("POST", "/token", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "username=&scope=me"),
            422, #"{"detail":[{"type":"missing","loc":["body","username"],"msg":"Field required","input":null},{"type":"missing","loc":["body","password"],"msg":"Field required","input":null}]}"#)
        XCTAssertResponse(
            t.request("POST", "/token", headers: [("Content-Type", "application/json")], body: #"{"username":"johndoe","password":"secret"}"#),
            422, #"{"detail":[{"type":"missing","loc":["body","username"],"msg":"Field required","input":null},{"type":"missing","loc":["body","password"],"msg":"Field required","input":null}]}"#)
        XCTAssertResponse(
            t.request("POST", "/token", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "grant_type=client_credentials&password=x"),
            422, #"{"detail":[{"type":"string_pattern_mismatch","loc":["body","grant_type"],"msg":"String should match pattern '^password$'","input":"client_credentials","ctx":{"pattern":"^password$"}},{"type":"missing","loc":["body","username"],"msg":"Field required","input":null}]}"#)
    }

    func testGrantTypePasswordAndMultipartAreAccepted() {
        let body = "--b\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\npassword\r\n"
            + "--b\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\njohndoe\r\n"
            + "--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nsecret\r\n--b--\r\n"
        XCTAssertEqual(t.request("POST", "/token", headers: [("Content-Type", "multipart/form-data; boundary=b")], body: body).status, 200)
    }

    func testWrongPasswordAndUnknownUserGiveTheSame400() {
        XCTAssertResponse(t.login("johndoe", "wrong"), 400, #"{"detail":"Incorrect username or password"}"#)
        XCTAssertResponse(t.login("nobody", "secret"), 400, #"{"detail":"Incorrect username or password"}"#)
        XCTAssertResponse(t.login("john'--", "secret"), 400, #"{"detail":"Incorrect username or password"}"#)
    }

    func testUsersMe() throws {
        let token = try t.token()
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(token)")]), 200,
                          #"{"username":"johndoe","email":"johndoe@example.com","full_name":"John Doe","disabled":false}"#)
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("authorization", "bearer   \(token)  ")]), 200,
                          #"{"username":"johndoe","email":"johndoe@example.com","full_name":"John Doe","disabled":false}"#)
    }

    func testNotAuthenticated() {
        for headers in [[], [("Authorization", "")], [("Authorization", "Token abc")], [("Authorization", "Bearer")]] {
            let r = t.request("GET", "/users/me/", headers: headers)
            if headers.first?.1 == "Bearer" {
                XCTAssertResponse(r, 401, #"{"detail":"Could not validate credentials"}"#, headers: [("www-authenticate", "Bearer scope=\"me\"")])
            } else {
                XCTAssertResponse(r, 401, #"{"detail":"Not authenticated"}"#, headers: [("www-authenticate", "Bearer")])
            }
        }
    }

    func testInvalidTokens() throws {
        let token = try t.token()
        let parts = token.split(separator: ".").map(String.init)
        let forged = parts[0] + "." + Base64.urlEncode(Array(#"{"sub":"alice","scope":"me items","exp":9999999999}"#.utf8)) + "." + parts[2]
        let none = Base64.urlEncode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + parts[1] + "."
        for bad in ["garbage", forged, none, token + "x", String(repeating: "a", count: 100_000)] {
            XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(bad)")]), 401,
                              #"{"detail":"Could not validate credentials"}"#, headers: [("www-authenticate", "Bearer scope=\"me\"")])
        }
        t.advance(30 * 60)
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(token)")]), 401,
                          #"{"detail":"Could not validate credentials"}"#, headers: [("www-authenticate", "Bearer scope=\"me\"")])
    }

    func testTokenOfADeletedUserIsRejected() throws {
        let token = try t.token()
        let user = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        try t.app.store.deleteUser(id: user.id)
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(token)")]), 401,
                          #"{"detail":"Could not validate credentials"}"#)
    }

    func testScopesAndInactiveUser() throws {
        let onlyItems = try t.token(scope: "items")
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(onlyItems)")]), 401,
                          #"{"detail":"Not enough permissions"}"#, headers: [("www-authenticate", "Bearer scope=\"me\"")])
        let onlyMe = try t.token(scope: "me")
        XCTAssertResponse(t.request("GET", "/users/me/items/", headers: [("Authorization", "Bearer \(onlyMe)")]), 401,
                          #"{"detail":"Not enough permissions"}"#, headers: [("www-authenticate", "Bearer scope=\"items me\"")])
        let both = try t.token()
        XCTAssertResponse(t.request("GET", "/users/me/items/", headers: [("Authorization", "Bearer \(both)")]), 200,
                          #"[{"item_id":"Foo","owner":"johndoe"}]"#)
        let alice = try t.token("alice", "secretalice")
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(alice)")]), 400,
                          #"{"detail":"Inactive user"}"#)
        XCTAssertResponse(t.request("GET", "/status/", headers: [("Authorization", "Bearer \(alice)")]), 200, #"{"status":"ok"}"#)
        let none = try t.token(scope: "")
        XCTAssertResponse(t.request("GET", "/status/", headers: [("Authorization", "Bearer \(none)")]), 200, #"{"status":"ok"}"#)
        XCTAssertResponse(t.request("GET", "/status/"), 401, #"{"detail":"Not authenticated"}"#, headers: [("www-authenticate", "Bearer")])
        XCTAssertResponse(t.request("GET", "/status/", headers: [("Authorization", "Bearer x")]), 401,
                          #"{"detail":"Could not validate credentials"}"#, headers: [("www-authenticate", "Bearer")])
    }

    func testRevokedScopeEndsEarlierTokensAtOnce() throws {
        let token = try t.token()
        var user = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        user.scopes = ["items"]
        try t.app.store.updateUser(user, now: t.now)
        XCTAssertResponse(t.request("GET", "/users/me/items/", headers: [("Authorization", "Bearer \(token)")]), 401,
                          #"{"detail":"Could not validate credentials"}"#)
        user.scopes = ["items", "me"]
        try t.app.store.updateUser(user, now: t.now)
        let fresh = try t.token()
        XCTAssertEqual(t.request("GET", "/users/me/items/", headers: [("Authorization", "Bearer \(fresh)")]).status, 200,
                       "granting a scope ends nothing")
    }

    func testRoutingBeforeAuthentication() {
        XCTAssertResponse(t.request("GET", "/nope"), 404, #"{"detail":"Not Found"}"#)
        XCTAssertResponse(t.request("POST", "/users/me/"), 405, #"{"detail":"Method Not Allowed"}"#, headers: [("allow", "GET, PATCH")])
        XCTAssertResponse(t.request("HEAD", "/users/me/"), 405, #"{"detail":"Method Not Allowed"}"#)
        XCTAssertResponse(t.request("GET", "/users/me", query: "a=1&b=%20", headers: [("Host", "example.org:8443")], prefix: "/auth"),
                          307, "", headers: [("location", "http://example.org:8443/auth/users/me/?a=1&b=%20")])
        XCTAssertResponse(t.request("GET", "/token"), 405, #"{"detail":"Method Not Allowed"}"#, headers: [("allow", "POST")])
        XCTAssertResponse(t.request("GET", "/users/me/items"), 307, "", headers: [("location", "http://localhost/users/me/items/")])
    }

    func testOversizedBodyIs413() {
        var request = Request(method: "POST", path: "/token")
        request.bodyTooLarge = true
        XCTAssertResponse(t.app.handle(request), 413, #"{"detail":"Request body too large"}"#)
    }

    func testRehashOnLoginUpgradesOldHashes() throws {
        let bcrypt = "$2b$04$zsbzcN2ZsnLvySZVRJeyFuM4AkMUYWzYUH81qNm6hjOi8Y.4C1Edy"  // "password", passlib-era cost 4
        let user = try t.app.store.createUser(username: "legacy", email: nil, fullName: nil, passwordHash: bcrypt,
                                              disabled: false, scopes: ["me"], now: t.now)
        XCTAssertTrue(t.app.hasher.verify("password", hash: bcrypt))
        XCTAssertEqual(t.login("legacy", "password", scope: "me").status, 200)
        let upgraded = try XCTUnwrap(t.app.store.user(id: user.id)).passwordHash
        XCTAssertTrue(upgraded.hasPrefix("$argon2id$v=19$m=1024,t=1,p=1$"), upgraded)
        XCTAssertEqual(t.login("legacy", "password", scope: "me").status, 200)
    }
}
