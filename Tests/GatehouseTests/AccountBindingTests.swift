import XCTest
@testable import Gatehouse

/// Tokens name an account, not a username, and end when the account changes under them.
final class AccountBindingTests: XCTestCase {
    var t: TestApp!
    override func setUpWithError() throws { t = try TestApp() }

    func me(_ token: String) -> Response { t.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(token)")]) }
    static let couldNotValidate = #"{"detail":"Could not validate credentials"}"#

    /// F2
    func testATokenDoesNotOpenAReCreatedAccountOfTheSameName() throws {
        let carol = try t.addUser("carol", "carolpass", scopes: ["me"])
        let token = try t.token("carol", "carolpass", scope: "me")
        XCTAssertEqual(me(token).status, 200)
        try t.app.store.deleteUser(id: carol.id)
        let again = try t.addUser("carol", "carolpass", scopes: ["me"])
        XCTAssertGreaterThan(again.id, carol.id, "ids are never reused")
        XCTAssertResponse(me(token), 401, Self.couldNotValidate)
    }

    func testUserIDsAreNeverReusedEvenForTheHighestID() throws {
        let last = try t.addUser("zed", "zedpass")
        try t.app.store.deleteUser(id: last.id)
        XCTAssertEqual(try t.addUser("zoe", "zoepass").id, last.id + 1)
    }

    func testTokensCarryTheAccountAndIssueTime() throws {
        let token = try t.token(scope: "me")
        let claims = try t.app.keys.verify(token, now: t.now)
        let john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        XCTAssertEqual(claims.map(\.0), ["sub", "scope", "exp", "iat", "uid", "cv", "sid", "jti"])
        XCTAssertEqual(claims.first { $0.0 == "uid" }?.1, .int(Int(john.id)))
        XCTAssertEqual(claims.first { $0.0 == "iat" }?.1, .int(Int(t.now)))
    }

    func testATokenIssuedBeforeTheAccountWasCreatedIsRefused() throws {
        let carol = try t.addUser("carol", "carolpass", scopes: ["me"])
        let early = t.app.keys.issue(claims: t.claims(for: "carol", scope: "me", overriding: [("iat", .int(Int(carol.createdAt) - 1))]))
        XCTAssertResponse(me(early), 401, Self.couldNotValidate)
    }

    func testATokenWithoutUIDIATOrCVIsRefused() throws {
        for missing in ["uid", "iat", "cv", "exp"] {
            let claims = t.claims(for: "johndoe", scope: "me").filter { $0.0 != missing }
            XCTAssertEqual(me(t.app.keys.issue(claims: claims)).status, 401, "without \(missing)")
        }
        let mismatch = t.claims(for: "johndoe", scope: "me", overriding: [("sub", "alice")])
        XCTAssertResponse(me(t.app.keys.issue(claims: mismatch)), 401, Self.couldNotValidate)
    }

    /// F6
    func testAPasswordChangeEndsEarlierTokens() throws {
        let token = try t.token(scope: "me")
        let john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        try t.app.store.setPasswordHash(userID: john.id, hash: try t.app.hasher.hash("newsecret"), now: t.now)
        XCTAssertResponse(me(token), 401, Self.couldNotValidate)
        XCTAssertEqual(me(try t.token("johndoe", "newsecret", scope: "me")).status, 200, "a token after the change works at once")
    }

    func testDisablingEndsEarlierTokens() throws {
        let token = try t.token(scope: "me")
        var john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        john.disabled = true
        try t.app.store.updateUser(john, now: t.now)
        john.disabled = false
        try t.app.store.updateUser(john, now: t.now)
        XCTAssertResponse(me(token), 401, Self.couldNotValidate)
    }

    func testLosingARoleOrARolePermissionEndsEarlierTokens() throws {
        try t.app.store.createRole(name: "auditor", permissions: ["users:read", "audit:read"], now: t.now)
        let john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        try t.app.store.grantRole(userID: john.id, role: "auditor")
        let first = try t.token(scope: "me users:read")
        try t.app.store.setRolePermissions(name: "auditor", permissions: ["users:read", "audit:read", "more"])
        XCTAssertEqual(me(first).status, 200, "a role gaining a permission ends nothing")
        try t.app.store.setRolePermissions(name: "auditor", permissions: ["users:read"])
        XCTAssertResponse(me(first), 401, Self.couldNotValidate)
        let second = try t.token(scope: "me users:read")
        try t.app.store.revokeRole(userID: john.id, role: "auditor")
        XCTAssertResponse(me(second), 401, Self.couldNotValidate)
        try t.app.store.grantRole(userID: john.id, role: "auditor")
        let third = try t.token(scope: "me users:read")
        try t.app.store.deleteRole(name: "auditor")
        XCTAssertResponse(me(third), 401, Self.couldNotValidate)
    }

    func testARehashOnLoginEndsNothing() throws {
        let weak = try PasswordHasher(config: Config.load(file: nil, environment: [
            "GATEHOUSE_ARGON2_MEMORY_KIB": "512", "GATEHOUSE_ARGON2_TIME_COST": "1", "GATEHOUSE_ARGON2_PARALLELISM": "1",
        ])).hash("carolpass")
        let carol = try t.app.store.createUser(username: "carol", passwordHash: weak, scopes: ["me"], now: t.now)
        let token = try t.token("carol", "carolpass", scope: "me")
        XCTAssertNotEqual(try t.app.store.user(id: carol.id)?.passwordHash, weak, "rehashed at login")
        XCTAssertEqual(me(token).status, 200)
        _ = try t.token("carol", "carolpass", scope: "me")
        XCTAssertEqual(me(token).status, 200)
    }

    /// F8
    func testUsernamesAreUniqueWhateverTheirCase() throws {
        XCTAssertThrowsError(try t.addUser("JohnDoe", "secret2")) {
            XCTAssertEqual($0 as? StoreError, .duplicate("user 'JohnDoe'"))
        }
        let token = try t.token("JOHNDOE", "secret", scope: "me")
        XCTAssertEqual(try t.app.keys.verify(token, now: t.now).first { $0.0 == "sub" }?.1, "johndoe")
        let check = t.request("GET", "/check", headers: [("Authorization", TestApp.basic("JohnDoe", "secret"))])
        XCTAssertResponse(check, 204, "", headers: [("x-gatehouse-user", "johndoe")])
    }

    /// F5
    func testIssuedTokensCarryTheConfiguredIssuerAndAudience() throws {
        let t = try TestApp(["jwt_issuer": "https://auth.example.org", "jwt_audience": "reports"])
        let token = try t.token(scope: "me")
        let claims = try t.app.keys.verify(token, now: t.now)
        XCTAssertEqual(claims.first { $0.0 == "iss" }?.1, "https://auth.example.org")
        XCTAssertEqual(claims.first { $0.0 == "aud" }?.1, "reports")
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(token)")]).status, 200)
    }
}
