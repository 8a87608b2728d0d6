import XCTest
@testable import Gatehouse

/// Sessions that end: logout, revocation, expiry, refresh rotation and reuse detection.
final class SessionTests: XCTestCase {
    var t: TestApp!
    override func setUpWithError() throws { t = try TestApp() }

    static let couldNotValidate = #"{"detail":"Could not validate credentials"}"#
    static let invalidGrant = #"{"error":"invalid_grant","error_description":"The refresh token is invalid, expired or revoked"}"#

    func me(_ token: String) -> Response { t.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(token)")]) }
    func form(_ path: String, _ body: String, _ headers: [(String, String)] = []) -> Response {
        t.request("POST", path, headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers, body: body)
    }
    func tokens(scope: String = "me items offline_access") throws -> (access: String, refresh: String) {
        let r = t.login(scope: scope)
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        let body = try JSON.parse(r.body)
        return (try XCTUnwrap(body["access_token"]?.stringValue), try XCTUnwrap(body["refresh_token"]?.stringValue))
    }
    func refresh(_ token: String, scope: String? = nil) -> Response {
        form("/token", "grant_type=refresh_token&refresh_token=\(token)" + (scope.map { "&scope=\($0)" } ?? ""))
    }
    func claim(_ token: String, _ name: String) throws -> JSON? {
        try t.app.keys.verify(token, now: t.now).first { $0.0 == name }?.1
    }

    func testALoginStartsASessionThatTheTokenNames() throws {
        let token = try t.token(scope: "me")
        let sid = try XCTUnwrap(try claim(token, "sid")?.stringValue)
        XCTAssertNotNil(try claim(token, "jti")?.stringValue)
        let list = t.request("GET", "/users/me/sessions", headers: [("Authorization", "Bearer \(token)"), ("User-Agent", "curl/8")])
        XCTAssertEqual(list.status, 200)
        let sessions = try XCTUnwrap(JSON.parse(list.body).arrayValue)
        XCTAssertEqual(sessions.count, 1)
        XCTAssertEqual(sessions[0]["id"], .string(sid))
        XCTAssertEqual(sessions[0]["current"], true)
        XCTAssertEqual(sessions[0]["scopes"], ["me"])
        XCTAssertEqual(sessions[0].objectValue?.map(\.0),
                       ["id", "created_at", "last_seen_at", "expires_at", "client_address", "user_agent", "scopes", "current"])
    }

    func testWithoutOfflineAccessTheAnswerIsTutorial005s() throws {
        let r = t.login(scope: "me")
        XCTAssertEqual(try JSON.parse(r.body).objectValue?.map(\.0), ["access_token", "token_type"])
        let offline = try JSON.parse(t.login(scope: "me offline_access").body)
        XCTAssertEqual(offline.objectValue?.map(\.0), ["access_token", "token_type", "refresh_token", "expires_in"])
        XCTAssertEqual(offline["expires_in"], 1800)
        XCTAssertEqual(try claim(try XCTUnwrap(offline["access_token"]?.stringValue), "scope"), "me",
                       "offline_access is never a scope of the access token")
    }

    func testLogoutEndsTheSessionFromTheNextRequest() throws {
        let (access, refresh) = try tokens()
        XCTAssertEqual(me(access).status, 200)
        XCTAssertResponse(t.request("POST", "/logout", headers: [("Authorization", "Bearer \(access)")]), 204, "")
        XCTAssertResponse(me(access), 401, Self.couldNotValidate)
        XCTAssertResponse(self.refresh(refresh), 400, Self.invalidGrant)
        XCTAssertEqual(t.request("POST", "/logout", headers: [("Authorization", TestApp.basic("johndoe", "secret"))]).status, 401,
                       "logout needs a token")
    }

    func testAUserEndsTheirOwnSessionsOnly() throws {
        let first = try t.token(scope: "me")
        let second = try t.token(scope: "me")
        let third = try t.token(scope: "me")
        let secondID = try XCTUnwrap(try claim(second, "sid")?.stringValue)
        let alice = try t.addUser("carol", "carolpass", scopes: ["me"])
        _ = alice
        let carol = try t.token("carol", "carolpass", scope: "me")
        XCTAssertResponse(t.request("DELETE", "/users/me/sessions/\(secondID)", headers: [("Authorization", "Bearer \(carol)")]), 404,
                          #"{"detail":"Session not found"}"#)
        XCTAssertEqual(me(second).status, 200)
        XCTAssertResponse(t.request("DELETE", "/users/me/sessions/\(secondID)", headers: [("Authorization", "Bearer \(first)")]), 204, "")
        XCTAssertEqual(me(second).status, 401)
        XCTAssertResponse(t.request("DELETE", "/users/me/sessions", headers: [("Authorization", "Bearer \(first)")]), 204, "")
        XCTAssertEqual(me(third).status, 401)
        XCTAssertEqual(me(first).status, 200, "the current session stays")
        XCTAssertEqual(me(carol).status, 200, "another user's sessions are untouched")
    }

    func testAPasswordChangeOrDisablingEndsTheSessions() throws {
        let (access, refresh) = try tokens()
        let john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        try t.app.store.setPasswordHash(userID: john.id, hash: try t.app.hasher.hash("newsecret"), now: t.now)
        XCTAssertResponse(self.refresh(refresh), 400, Self.invalidGrant)
        XCTAssertEqual(me(access).status, 401)
        let again = try t.token("johndoe", "newsecret", scope: "me")
        var user = try XCTUnwrap(t.app.store.user(id: john.id))
        user.disabled = true
        try t.app.store.updateUser(user, now: t.now)
        XCTAssertEqual(try t.app.store.listSessions(userID: john.id).count, 0)
        _ = again
    }

    func testSessionsExpireWhenIdleAndAfterTheirLifetime() throws {
        let t = try TestApp(["session_idle_minutes": "10", "session_lifetime_days": "1"])
        let token = try t.token(scope: "me")
        func me() -> Int { t.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(token)")]).status }
        t.advance(9 * 60)
        XCTAssertEqual(me(), 200)
        t.advance(9 * 60)
        XCTAssertEqual(me(), 200, "each use slides the idle expiry")
        t.advance(11 * 60)
        XCTAssertEqual(me(), 401, "idle for 11 minutes, though the token itself lives on for a minute")
        let long = try TestApp(["access_token_expire_minutes": "1440", "session_lifetime_days": "1"])
        let day = try long.token(scope: "me")
        for _ in 0..<4 {
            long.advance(6 * 3600)
            XCTAssertEqual(long.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(day)")]).status,
                           long.now < long.app.config.sessionLifetime + 1_800_000_000 ? 200 : 401)
        }
    }

    func testRefreshRotatesAndNarrows() throws {
        let (access, first) = try tokens()
        let r = refresh(first)
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        XCTAssertEqual(r.headers["cache-control"], "no-store")
        let body = try JSON.parse(r.body)
        let second = try XCTUnwrap(body["refresh_token"]?.stringValue)
        XCTAssertNotEqual(second, first)
        let fresh = try XCTUnwrap(body["access_token"]?.stringValue)
        XCTAssertEqual(try claim(fresh, "sid"), try claim(access, "sid"), "the same session")
        XCTAssertEqual(try claim(fresh, "scope"), "me items")
        let narrowed = refresh(second, scope: "items")
        XCTAssertEqual(try claim(try XCTUnwrap(JSON.parse(narrowed.body)["access_token"]?.stringValue), "scope"), "items")
        let third = try XCTUnwrap(JSON.parse(narrowed.body)["refresh_token"]?.stringValue)
        XCTAssertResponse(refresh(third, scope: "me+admin"), 400,
                          #"{"error":"invalid_scope","error_description":"Not granted to this session: admin"}"#)
    }

    func testARetryWithinTheGraceWindowGetsTheSameSuccessor() throws {
        let (_, first) = try tokens()
        let a = try JSON.parse(refresh(first).body)["refresh_token"]
        t.advance(5)
        let b = try JSON.parse(refresh(first).body)["refresh_token"]
        XCTAssertEqual(a, b)
        XCTAssertEqual(refresh(try XCTUnwrap(b?.stringValue)).status, 200, "the session lives on")
    }

    func testAReusedRefreshTokenEndsTheWholeSession() throws {
        let (access, first) = try tokens()
        let second = try XCTUnwrap(JSON.parse(refresh(first).body)["refresh_token"]?.stringValue)
        let later = try XCTUnwrap(JSON.parse(refresh(second).body)["access_token"]?.stringValue)
        t.advance(11)
        XCTAssertResponse(refresh(first), 400, Self.invalidGrant)
        XCTAssertEqual(me(access).status, 401)
        XCTAssertEqual(me(later).status, 401, "every token of the family")
        let john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        XCTAssertEqual(try t.app.store.listSessions(userID: john.id).count, 0)
    }

    func testWithoutAGraceWindowAnyReuseEndsTheSession() throws {
        let t = try TestApp(["refresh_token_reuse_grace_seconds": "0"])
        self.t = t
        let (access, first) = try tokens()
        XCTAssertEqual(refresh(first).status, 200)
        XCTAssertResponse(refresh(first), 400, Self.invalidGrant)
        XCTAssertEqual(me(access).status, 401)
    }

    func testMalformedAndMisplacedTokens() throws {
        let (access, refresh) = try tokens()
        XCTAssertResponse(form("/token", "grant_type=refresh_token"), 400,
                          #"{"error":"invalid_request","error_description":"refresh_token is required"}"#)
        for bad in ["x", "ghr_", refresh.dropLast() + (refresh.hasSuffix("A") ? "B" : "A"), String(refresh.dropLast()), access, "ghr_" + String(repeating: "A", count: 43)] {
            XCTAssertResponse(self.refresh(String(bad)), 400, Self.invalidGrant, headers: [("cache-control", "no-store")])
        }
        XCTAssertResponse(me(refresh), 401, Self.couldNotValidate)
        XCTAssertEqual(self.refresh(refresh).status, 200, "none of that revoked anything")
    }

    func testRevocationEndsTheSessionOfEitherToken() throws {
        let (access, refresh) = try tokens()
        XCTAssertResponse(form("/revoke", "token=\(refresh)&token_type_hint=refresh_token"), 200, "")
        XCTAssertEqual(me(access).status, 401)
        let (access2, _) = try tokens()
        XCTAssertResponse(form("/revoke", "token=\(access2)"), 200, "")
        XCTAssertEqual(me(access2).status, 401)
        XCTAssertResponse(form("/revoke", "token=nonsense"), 200, "")
        XCTAssertResponse(form("/revoke", ""), 422, #"{"detail":[{"type":"missing","loc":["body","token"],"msg":"Field required","input":null}]}"#)
    }

    func testATokenNamingAnotherUsersSessionIsRefused() throws {
        _ = try t.addUser("carol", "carolpass", scopes: ["me"])
        let carol = try t.token("carol", "carolpass", scope: "me")
        let carolSession = try XCTUnwrap(try claim(carol, "sid"))
        let forged = t.app.keys.issue(claims: t.claims(for: "johndoe", scope: "me", overriding: [("sid", carolSession)]))
        XCTAssertResponse(me(forged), 401, Self.couldNotValidate)
        let unknown = t.app.keys.issue(claims: t.claims(for: "johndoe", scope: "me", overriding: [("sid", "0123456789abcdefghijkl")]))
        XCTAssertResponse(me(unknown), 401, Self.couldNotValidate)
        XCTAssertEqual(me(carol).status, 200)
    }

    func testRefreshTokenPolicy() throws {
        let always = try TestApp(["refresh_tokens": "always"])
        XCTAssertNotNil(try JSON.parse(always.login(scope: "me").body)["refresh_token"])
        let never = try TestApp(["refresh_tokens": "never"])
        XCTAssertNil(try JSON.parse(never.login(scope: "me offline_access").body)["refresh_token"])
    }

    func testLosingAScopeNarrowsTheSession() throws {
        let (_, refresh) = try tokens()
        var john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        john.scopes = ["me"]
        try t.app.store.updateUser(john, now: t.now)
        let r = self.refresh(refresh)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(try claim(try XCTUnwrap(JSON.parse(r.body)["access_token"]?.stringValue), "scope"), "me")
    }
}
