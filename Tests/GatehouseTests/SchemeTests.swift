import XCTest
@testable import Gatehouse

final class SchemeParsingTests: XCTestCase {
    func req(_ headers: [(String, String)], query: String = "") -> Request {
        Request(method: "GET", path: "/", rawQuery: query, headers: Headers(headers))
    }

    func testAuthorizationSplit() {
        XCTAssertEqual(AuthorizationHeader.split(nil).scheme, "")
        XCTAssertTrue(AuthorizationHeader.split("Bearer  abc ") == ("Bearer", "abc"))
        XCTAssertTrue(AuthorizationHeader.split("Bearer") == ("Bearer", ""))
        XCTAssertTrue(AuthorizationHeader.split("Basic a b") == ("Basic", "a b"))
    }

    func testBearer() {
        let s = OAuth2PasswordBearer()
        XCTAssertEqual(s.credential(in: req([("Authorization", "BEARER tok")])), .bearerToken("tok"))
        XCTAssertNil(s.credential(in: req([("Authorization", "Basic tok")])))
        XCTAssertNil(s.credential(in: req([])))
        XCTAssertNil(s.credential(in: req([("Authorization", "")])))
        XCTAssertEqual(s.notAuthenticated.headers["www-authenticate"], "Bearer")
    }

    func testHTTPBearerIsOpaqueAndNeedsCredentials() {
        let s = HTTPBearer()
        XCTAssertEqual(s.credential(in: req([("Authorization", "bearer xyz")])), .authorization(scheme: "bearer", credentials: "xyz"))
        XCTAssertNil(s.credential(in: req([("Authorization", "Bearer ")])))
        XCTAssertNil(s.credential(in: req([("Authorization", "Digest xyz")])))
        XCTAssertEqual(s.notAuthenticated.response.body, Array(#"{"detail":"Not authenticated"}"#.utf8))
    }

    func testBasic() {
        let s = HTTPBasic()
        func basic(_ raw: String) -> Credential? { s.credential(in: req([("Authorization", raw)])) }
        XCTAssertEqual(basic("Basic " + Base64.encode(Array("john:pa:ss".utf8))), .basic(username: "john", password: "pa:ss"))
        XCTAssertEqual(basic("bAsIc " + Base64.encode(Array(":".utf8))), .basic(username: "", password: ""))
        XCTAssertEqual(basic("Basic am9objpwYXNz"), .basic(username: "john", password: "pass"))
        XCTAssertEqual(basic("Basic am9objpwYXN"), .malformed, "padding missing")
        XCTAssertEqual(basic("Basic " + Base64.encode(Array("jöhn:x".utf8))), .malformed, "not ASCII")
        XCTAssertEqual(basic("Basic " + Base64.encode(Array("nocolon".utf8))), .malformed)
        XCTAssertEqual(basic("Basic"), .malformed)
        XCTAssertEqual(basic("Basic !!!!"), .malformed)
        XCTAssertNil(basic("Bearer x"))
        XCTAssertEqual(s.notAuthenticated.headers["www-authenticate"], "Basic")
        XCTAssertEqual(HTTPBasic(realm: "a \"b\"").notAuthenticated.headers["www-authenticate"], #"Basic realm="a \"b\"""#)
        XCTAssertEqual(s.incorrectCredentials.response.body, Array(#"{"detail":"Incorrect username or password"}"#.utf8))
    }

    func testAPIKeyLocations() {
        XCTAssertEqual(APIKeyScheme(.header, name: "X-API-Key").credential(in: req([("x-api-key", "k")])), .apiKey("k"))
        XCTAssertNil(APIKeyScheme(.header, name: "X-API-Key").credential(in: req([("x-api-key", "")])))
        XCTAssertEqual(APIKeyScheme(.query, name: "api_key").credential(in: req([], query: "api_key=a&api_key=b")), .apiKey("b"))
        XCTAssertEqual(APIKeyScheme(.cookie, name: "api_key").credential(in: req([("Cookie", "x=1; api_key=c")])), .apiKey("c"))
        XCTAssertEqual(APIKeyScheme(.cookie, name: "api_key").notAuthenticated.headers["www-authenticate"], "APIKey")
    }

    func testAPIKeyFormat() {
        let (id, secret, key) = APIKeys.generate()
        XCTAssertEqual(APIKeys.parse(key), APIKeys.Parsed(id: id, secret: secret))
        XCTAssertTrue(key.hasPrefix("gh_"))
        XCTAssertNil(APIKeys.parse(key + "x"))
        XCTAssertNil(APIKeys.parse("gh_" + String(repeating: "G", count: 16) + "_" + secret))
        XCTAssertNil(APIKeys.parse(""))
        XCTAssertNotEqual(APIKeys.generate().key, key)
    }
}

final class BasicAndKeyTests: XCTestCase {
    var t: TestApp!
    override func setUpWithError() throws { t = try TestApp() }

    func get(_ path: String, _ headers: [(String, String)], query: String = "") -> Response {
        t.request("GET", path, query: query, headers: headers)
    }

    func testBasicEndToEnd() {
        let me = #"{"username":"johndoe","email":"johndoe@example.com","full_name":"John Doe","disabled":false}"#
        XCTAssertResponse(get("/users/me/", [("Authorization", TestApp.basic("johndoe", "secret"))]), 200, me)
        XCTAssertResponse(get("/users/me/", [("Authorization", TestApp.basic("johndoe", "secret"))]), 200, me, headers: [], )
        XCTAssertResponse(get("/users/me/", [("Authorization", TestApp.basic("johndoe", "wrong"))]), 401,
                          #"{"detail":"Incorrect username or password"}"#, headers: [("www-authenticate", "Basic")])
        XCTAssertResponse(get("/users/me/", [("Authorization", TestApp.basic("ghost", "secret"))]), 401,
                          #"{"detail":"Incorrect username or password"}"#, headers: [("www-authenticate", "Basic")])
        XCTAssertResponse(get("/users/me/", [("Authorization", "Basic am9obmRvZTpzZWNyZXQ")]), 401,
                          #"{"detail":"Not authenticated"}"#, headers: [("www-authenticate", "Basic")])
        XCTAssertResponse(get("/users/me/", [("Authorization", TestApp.basic("alice", "secretalice"))]), 400, #"{"detail":"Inactive user"}"#)
    }

    func testBasicCacheForgetsAChangedPassword() throws {
        XCTAssertEqual(get("/users/me/", [("Authorization", TestApp.basic("johndoe", "secret"))]).status, 200)
        let user = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        // Within the same second: the stored hash, not password_changed_at, decides.
        try t.app.store.setPasswordHash(userID: user.id, hash: try t.app.hasher.hash("newsecret"), now: t.now)
        XCTAssertEqual(get("/users/me/", [("Authorization", TestApp.basic("johndoe", "secret"))]).status, 401)
        XCTAssertEqual(get("/users/me/", [("Authorization", TestApp.basic("johndoe", "newsecret"))]).status, 200)
        var disabled = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        disabled.disabled = true
        try t.app.store.updateUser(disabled, now: t.now)
        XCTAssertEqual(get("/users/me/", [("Authorization", TestApp.basic("johndoe", "newsecret"))]).status, 400)
    }

    func createKey(_ auth: String, _ body: String) -> Response {
        t.request("POST", "/users/me/api-keys", headers: [("Authorization", auth), ("Content-Type", "application/json")], body: body)
    }

    func testAPIKeyLifecycle() throws {
        let token = try t.token()
        let created = createKey("Bearer \(token)", #"{"name":"ci","scopes":["me"],"expires_in_days":2}"#)
        XCTAssertEqual(created.status, 201)
        let json = try JSON.parse(created.body)
        XCTAssertEqual(json.objectValue?.map(\.0), ["id", "name", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at", "key"])
        let key = try XCTUnwrap(json["key"]?.stringValue)
        let id = try XCTUnwrap(json["id"]?.stringValue)
        XCTAssertEqual(json["scopes"], ["me"])

        let me = #"{"username":"johndoe","email":"johndoe@example.com","full_name":"John Doe","disabled":false}"#
        XCTAssertResponse(get("/users/me/", [("X-API-Key", key)]), 200, me)
        XCTAssertResponse(get("/users/me/", [], query: "api_key=\(key)"), 200, me)
        XCTAssertResponse(get("/users/me/", [("Cookie", "api_key=\(key)")]), 200, me)
        XCTAssertResponse(get("/users/me/items/", [("X-API-Key", key)]), 401, #"{"detail":"Not enough permissions"}"#,
                          headers: [("www-authenticate", "Bearer scope=\"items me\"")])

        let list = t.request("GET", "/users/me/api-keys", headers: [("Authorization", "Bearer \(token)")])
        XCTAssertEqual(list.status, 200)
        let listed = String(decoding: list.body, as: UTF8.self)
        XCTAssertFalse(listed.contains(APIKeys.parse(key)!.secret), "the secret is never listed")
        XCTAssertTrue(listed.contains(#""last_used_at":"2027-01-15T08:00:00Z""#), listed)

        // A key cannot mint keys: it is not a scheme of that route.
        XCTAssertResponse(t.request("POST", "/users/me/api-keys", headers: [("X-API-Key", key), ("Content-Type", "application/json")], body: #"{"name":"x"}"#),
                          401, #"{"detail":"Not authenticated"}"#, headers: [("www-authenticate", "Bearer")])

        XCTAssertResponse(t.request("DELETE", "/users/me/api-keys/\(id)", headers: [("Authorization", "Bearer \(token)")]), 204, "")
        XCTAssertResponse(get("/users/me/", [("X-API-Key", key)]), 401, #"{"detail":"Invalid API key"}"#, headers: [("www-authenticate", "APIKey")])
        XCTAssertResponse(t.request("DELETE", "/users/me/api-keys/\(id)", headers: [("Authorization", "Bearer \(token)")]), 204, "")
        XCTAssertResponse(t.request("DELETE", "/users/me/api-keys/ffffffffffffffff", headers: [("Authorization", "Bearer \(token)")]),
                          404, #"{"detail":"API key not found"}"#)
    }

    func testKeyScopeCeilingExpiryAndDisabledOwner() throws {
        let meOnly = try t.token(scope: "me")
        XCTAssertResponse(createKey("Bearer \(meOnly)", #"{"name":"x","scopes":["items"]}"#), 403,
                          #"{"detail":"Requested scopes exceed your own: items"}"#)
        let basic = TestApp.basic("johndoe", "secret")
        let created = try JSON.parse(createKey(basic, #"{"name":"x","scopes":["me","items"],"expires_in_days":1}"#).body)
        let key = try XCTUnwrap(created["key"]?.stringValue)
        XCTAssertEqual(get("/users/me/items/", [("X-API-Key", key)]).status, 200)
        t.advance(86400)
        XCTAssertResponse(get("/users/me/", [("X-API-Key", key)]), 401, #"{"detail":"Invalid API key"}"#)

        let ownerKey = try JSON.parse(createKey(basic, #"{"name":"y","scopes":["me"]}"#).body)["key"]!.stringValue!
        var john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        john.disabled = true
        try t.app.store.updateUser(john, now: t.now)
        XCTAssertResponse(get("/users/me/", [("X-API-Key", ownerKey)]), 401, #"{"detail":"Invalid API key"}"#)
        XCTAssertResponse(get("/users/me/", [("X-API-Key", "gh_0000000000000000_" + String(repeating: "A", count: 43))]), 401, #"{"detail":"Invalid API key"}"#)
        XCTAssertResponse(get("/users/me/", [("X-API-Key", "nonsense")]), 401, #"{"detail":"Invalid API key"}"#)
    }

    func testKeyCreationValidation() throws {
        let token = try t.token()
        XCTAssertResponse(createKey("Bearer \(token)", "{"), 422,
                          #"{"detail":[{"type":"json_invalid","loc":["body",1],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting property name enclosed in double quotes"}}]}"#)
        XCTAssertResponse(createKey("Bearer \(token)", #"{"scopes":"me"}"#), 422,
                          #"{"detail":[{"type":"missing","loc":["body","name"],"msg":"Field required","input":null},{"type":"list_type","loc":["body","scopes"],"msg":"Input should be a valid list","input":"me"}]}"#)
        XCTAssertResponse(createKey("Bearer \(token)", #"{"name":"","expires_in_days":0}"#), 422,
                          #"{"detail":[{"type":"string_too_short","loc":["body","name"],"msg":"String should have at least 1 character","input":"","ctx":{"min_length":1}},{"type":"greater_than_equal","loc":["body","expires_in_days"],"msg":"Input should be greater than or equal to 1","input":0,"ctx":{"ge":1}}]}"#)
        // FastAPI parses the body before it authenticates.
        XCTAssertEqual(createKey("Bearer nope", "{").status, 422)
        XCTAssertEqual(createKey("Bearer nope", "{}").status, 401)
    }
}

final class AdminTests: XCTestCase {
    var t: TestApp!
    var admin: String!

    override func setUpWithError() throws {
        t = try TestApp()
        try t.app.store.createRole(name: "admin", permissions: ["users:read", "users:write", "users:roles"], now: t.now)
        try t.app.store.createRole(name: "auditor", permissions: ["users:read"], now: t.now)
        let root = try t.addUser("root", "rootpass", scopes: ["me", "items"])
        try t.app.store.grantRole(userID: root.id, role: "admin")
        admin = "Bearer " + (try t.token("root", "rootpass", scope: "me items users:read users:write users:roles"))
    }

    func patch(_ id: Int64, _ body: String, as credential: String? = nil) -> Response {
        t.request("PATCH", "/users/\(id)", headers: [("Authorization", credential ?? admin), ("Content-Type", "application/json")],
                  body: body)
    }

    func testPermissionsAre403AndScopes401() throws {
        let john = "Bearer " + (try t.token())
        XCTAssertResponse(t.request("GET", "/users/", headers: [("Authorization", john)]), 403, #"{"detail":"Not enough permissions"}"#)
        XCTAssertResponse(t.request("GET", "/users/"), 401, #"{"detail":"Not authenticated"}"#, headers: [("www-authenticate", "Bearer")])
        let auditor = try t.addUser("aud", "audpass")
        try t.app.store.grantRole(userID: auditor.id, role: "auditor")
        let aud = TestApp.basic("aud", "audpass")
        XCTAssertEqual(t.request("GET", "/users/", headers: [("Authorization", aud)]).status, 200)
        XCTAssertResponse(t.request("DELETE", "/users/1", headers: [("Authorization", aud)]), 403, #"{"detail":"Not enough permissions"}"#)
    }

    func testListReadPatchDelete() throws {
        let list = t.request("GET", "/users/", query: "offset=1&limit=1", headers: [("Authorization", admin)])
        XCTAssertEqual(list.status, 200)
        XCTAssertEqual(list.headers["x-total-count"], "3")
        XCTAssertEqual(list.headers["cache-control"], "no-store")
        XCTAssertEqual(try JSON.parse(list.body).arrayValue?.first?["username"], "alice")
        XCTAssertResponse(t.request("GET", "/users/", query: "limit=0&offset=x", headers: [("Authorization", admin)]), 422,
                          #"{"detail":[{"type":"int_parsing","loc":["query","offset"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"greater_than_equal","loc":["query","limit"],"msg":"Input should be greater than or equal to 1","input":"0","ctx":{"ge":1}}]}"#)
        let john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        let read = try JSON.parse(t.request("GET", "/users/\(john.id)", headers: [("Authorization", admin)]).body)
        XCTAssertEqual(read["username"], "johndoe")
        XCTAssertEqual(read["scopes"], ["me", "items"])
        XCTAssertResponse(t.request("GET", "/users/999", headers: [("Authorization", admin)]), 404, #"{"detail":"User not found"}"#)

        let patched = patch(john.id, #"{"disabled":true,"scopes":["me"],"roles":["auditor"],"full_name":null}"#)
        XCTAssertEqual(patched.status, 200, String(decoding: patched.body, as: UTF8.self))
        let p = try JSON.parse(patched.body)
        XCTAssertEqual(p["disabled"], true)
        XCTAssertEqual(p["roles"], ["auditor"])
        XCTAssertEqual(p["full_name"], .null)
        XCTAssertEqual(p["email"], "johndoe@example.com")
        XCTAssertResponse(patch(john.id, #"{"roles":["god"]}"#), 400, #"{"detail":"Unknown role: god"}"#)
        XCTAssertEqual(patch(john.id, #"{"password":"brandnewpw"}"#).status, 200)
        XCTAssertEqual(t.login("johndoe", "brandnewpw", scope: "me").status, 200)
        XCTAssertResponse(t.request("DELETE", "/users/\(john.id)", headers: [("Authorization", admin)]), 204, "")
        XCTAssertResponse(t.request("DELETE", "/users/\(john.id)", headers: [("Authorization", admin)]), 404, #"{"detail":"User not found"}"#)
    }

    func testForgedRoleClaimsGrantNothing() throws {
        let claims = t.claims(for: "johndoe", scope: "me", overriding: [("roles", ["admin"]), ("permissions", ["users:read"])])
        let signed = t.app.keys.issue(claims: claims)
        XCTAssertResponse(t.request("GET", "/users/", headers: [("Authorization", "Bearer \(signed)")]), 403, #"{"detail":"Not enough permissions"}"#)
    }

    /// F1: with only `users:write`, a user could make itself admin and take over the administrator.
    func testUsersWriteCannotGrantRolesOrScopes() throws {
        try t.app.store.createRole(name: "writer", permissions: ["users:write"], now: t.now)
        let mallory = try t.addUser("mallory", "mallorypass", scopes: ["me"])
        try t.app.store.grantRole(userID: mallory.id, role: "writer")
        let basic = TestApp.basic("mallory", "mallorypass")
        XCTAssertResponse(patch(mallory.id, #"{"roles":["admin"]}"#, as: basic), 403, #"{"detail":"Not enough permissions"}"#)
        XCTAssertResponse(patch(mallory.id, #"{"scopes":["me","items"]}"#, as: basic), 403, #"{"detail":"Not enough permissions"}"#)
        XCTAssertEqual(try t.app.store.user(id: mallory.id)?.roles, ["writer"])
        XCTAssertEqual(try t.app.store.user(id: mallory.id)?.scopes, ["me"])
        XCTAssertResponse(t.request("GET", "/users/", headers: [("Authorization", basic)]), 403, #"{"detail":"Not enough permissions"}"#)
    }

    func testNobodyChangesAUserWhoHoldsMoreThanThey() throws {
        try t.app.store.createRole(name: "writer", permissions: ["users:write"], now: t.now)
        let mallory = try t.addUser("mallory", "mallorypass", scopes: ["me", "items"])
        try t.app.store.grantRole(userID: mallory.id, role: "writer")
        let basic = TestApp.basic("mallory", "mallorypass")
        let root = try XCTUnwrap(t.app.store.user(named: "root"))
        let before = try XCTUnwrap(t.app.store.user(id: root.id))
        for body in [#"{"password":"takenover1"}"#, #"{"disabled":true}"#, #"{"email":"m@evil.example"}"#, "{}"] {
            XCTAssertResponse(patch(root.id, body, as: basic), 403, #"{"detail":"Cannot change a user who holds privileges you lack"}"#)
        }
        XCTAssertResponse(t.request("DELETE", "/users/\(root.id)", headers: [("Authorization", basic)]), 403,
                          #"{"detail":"Cannot change a user who holds privileges you lack"}"#)
        XCTAssertEqual(try t.app.store.user(id: root.id), before)
        XCTAssertEqual(t.login("root", "rootpass", scope: "me").status, 200)
    }

    func testRolesAndScopesGivenOnlyFromWhatTheCallerHolds() throws {
        try t.app.store.createRole(name: "superadmin", permissions: ["users:read", "users:write", "users:roles", "keys:all"], now: t.now)
        let carol = try t.addUser("carol", "carolpass", scopes: ["me"])
        XCTAssertResponse(patch(carol.id, #"{"roles":["superadmin"]}"#), 403,
                          #"{"detail":"Cannot grant role 'superadmin': it holds permissions you lack"}"#)
        XCTAssertResponse(patch(carol.id, #"{"scopes":["me","reports"]}"#), 403, #"{"detail":"Cannot grant scopes you do not hold: reports"}"#)
        XCTAssertEqual(patch(carol.id, #"{"roles":["auditor"],"scopes":["me","items"]}"#).status, 200)
        XCTAssertEqual(try t.app.store.user(id: carol.id)?.roles, ["auditor"])
    }

    func testAWriteAnswersTheRecordOnlyToAReader() throws {
        try t.app.store.createRole(name: "writer", permissions: ["users:write"], now: t.now)
        let writer = try t.addUser("writer", "writerpass", scopes: ["me", "items"])
        try t.app.store.grantRole(userID: writer.id, role: "writer")
        let carol = try t.addUser("carol", "carolpass", scopes: ["me"])
        XCTAssertResponse(patch(carol.id, "{}", as: TestApp.basic("writer", "writerpass")), 204, "")
        XCTAssertResponse(patch(carol.id, #"{"full_name":"Carol"}"#, as: TestApp.basic("writer", "writerpass")), 204, "")
        XCTAssertEqual(try t.app.store.user(id: carol.id)?.fullName, "Carol")
        XCTAssertEqual(patch(carol.id, "{}").status, 200)
    }

    /// F9: permissions reach a token only when it asked for them, as a key's reach only its scopes.
    func testATokenAdministersOnlyWithThePermissionsItAskedFor() throws {
        let plain = "Bearer " + (try t.token("root", "rootpass", scope: "me"))
        XCTAssertResponse(t.request("GET", "/users/", headers: [("Authorization", plain)]), 403, #"{"detail":"Not enough permissions"}"#)
        let reader = try t.token("root", "rootpass", scope: "me users:read users:delete")
        let claims = try t.app.keys.verify(reader, now: t.now)
        XCTAssertEqual(claims.first { $0.0 == "scope" }?.1, "me users:read", "only permissions the user holds")
        XCTAssertEqual(t.request("GET", "/users/", headers: [("Authorization", "Bearer \(reader)")]).status, 200)
        XCTAssertEqual(t.request("DELETE", "/users/1", headers: [("Authorization", "Bearer \(reader)")]).status, 403)
    }

    /// F14: a control character in a scope is a 422, not a 500, and reaches no log line.
    func testScopesWithControlCharactersAre422() throws {
        let carol = try t.addUser("carol", "carolpass", scopes: ["me"])
        XCTAssertResponse(patch(carol.id, #"{"scopes":["x\nFORGED"]}"#), 422,
                          #"{"detail":[{"type":"string_pattern_mismatch","loc":["body","scopes",0],"msg":"String should match pattern '^[!#-\\[\\]-~]+$'","input":"x\nFORGED","ctx":{"pattern":"^[!#-\\[\\]-~]+$"}}]}"#)
        XCTAssertEqual(patch(carol.id, #"{"full_name":"Carol\r\nX-Forged: 1"}"#).status, 422)
        XCTAssertEqual(try t.app.store.user(id: carol.id)?.scopes, ["me"])
    }
}

final class AppCORSTests: XCTestCase {
    func testErrorsCarryCORSHeaders() throws {
        let t = try TestApp(["cors_allow_origins": "https://app.example.org", "cors_allow_credentials": "true"])
        let r = t.request("GET", "/users/me/", headers: [("Origin", "https://app.example.org")])
        XCTAssertEqual(r.status, 401)
        XCTAssertEqual(r.headers["access-control-allow-origin"], "https://app.example.org")
        XCTAssertEqual(r.headers["access-control-allow-credentials"], "true")
        let pre = t.request("OPTIONS", "/users/me/", headers: [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "GET")])
        XCTAssertResponse(pre, 400, "Disallowed CORS origin")
        let ok = t.request("OPTIONS", "/users/me/", headers: [("Origin", "https://app.example.org"), ("Access-Control-Request-Method", "GET")])
        XCTAssertResponse(ok, 200, "OK")
        XCTAssertEqual(t.request("OPTIONS", "/users/me/").status, 405, "a plain OPTIONS is routed")
    }
}
