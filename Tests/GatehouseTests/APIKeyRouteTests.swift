import XCTest
@testable import Gatehouse

final class APIKeyRouteTests: XCTestCase {
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

    /// Keys, users and roles are remembered by each worker, so another process's change (the
    /// CLI's, another node's) must count from the very next request: a revoked key, a disabled
    /// owner, a role's lost permission.
    func testAnotherConnectionsChangeToAKeyItsOwnerOrARoleCountsAtOnce() throws {
        let store = t.app.store
        let other = try Store.open(config: t.app.config)  // as the CLI or another worker
        let user = try XCTUnwrap(store.user(named: "johndoe"))
        try other.createRole(name: "reader", permissions: ["reports:read"], now: t.now)
        try other.grantRole(userID: user.id, role: "reader")
        let (record, key) = try APIKeys.issue(in: other, userID: user.id, name: "ci", scopes: ["me", "reports:read"],
                                              expiresInDays: nil, now: t.now)
        let ask = { self.get("/users/me/", [("X-API-Key", key)]) }
        XCTAssertEqual(ask().status, 200)
        XCTAssertEqual(try store.apiKey(id: record.id)?.name, "ci", "remembered now")
        XCTAssertEqual(try t.app.identity(XCTUnwrap(store.user(named: "johndoe")), holding: ["reports:read"], kind: .token).permissions,
                       ["reports:read"])

        try other.setRolePermissions(name: "reader", permissions: [])
        XCTAssertEqual(try t.app.identity(XCTUnwrap(store.user(named: "johndoe")), holding: ["reports:read"], kind: .token).permissions,
                       [], "the role's permission is gone at once")

        var owner = try XCTUnwrap(other.user(named: "johndoe"))
        owner.disabled = true
        try other.updateUser(owner, now: t.now)
        XCTAssertEqual(ask().status, 401, "a disabled owner's key is refused at once")
        owner.disabled = false
        try other.updateUser(owner, now: t.now)
        XCTAssertEqual(ask().status, 200)

        XCTAssertTrue(try other.revokeAPIKey(id: record.id, now: t.now))
        XCTAssertResponse(ask(), 401, #"{"detail":"Invalid API key"}"#)
    }

    /// A key's use is written at most once a `touchGranularity`, judged from the remembered row.
    func testAKeysLastUseIsWrittenOncePerMinute() throws {
        let user = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        let (record, key) = try APIKeys.issue(in: t.app.store, userID: user.id, name: "ci", scopes: ["me"], expiresInDays: nil,
                                              now: t.now)
        XCTAssertEqual(get("/users/me/", [("X-API-Key", key)]).status, 200)
        XCTAssertEqual(try t.app.store.apiKey(id: record.id)?.lastUsedAt, t.now)
        t.advance(59)
        XCTAssertEqual(get("/users/me/", [("X-API-Key", key)]).status, 200)
        XCTAssertEqual(try t.app.store.apiKey(id: record.id)?.lastUsedAt, t.now - 59, "not a minute yet")
        t.advance(1)
        XCTAssertEqual(get("/users/me/", [("X-API-Key", key)]).status, 200)
        XCTAssertEqual(try t.app.store.apiKey(id: record.id)?.lastUsedAt, t.now)
    }
}
