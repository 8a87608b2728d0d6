import XCTest
@testable import Gatehouse

final class AdminRouteTests: XCTestCase {
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
