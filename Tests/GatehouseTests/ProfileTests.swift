import Foundation
import XCTest
@testable import Gatehouse

/// PATCH /users/me/: one's own name, email and password.
final class ProfileTests: XCTestCase {
    func bearer(_ token: String) -> String { "Bearer " + token }

    func testTheFullNameChangesWithoutThePassword() throws {
        let t = try TestApp(TestApp.accounts)
        XCTAssertResponse(t.patchMe(#"{"full_name":"Johnny"}"#, auth: bearer(try t.token())), 200,
                          #"{"username":"johndoe","email":"johndoe@example.com","full_name":"Johnny","disabled":false}"#,
                          headers: [("cache-control", "no-store")])
    }

    func testANewPasswordOrEmailNeedsTheCurrentPassword() throws {
        let t = try TestApp(TestApp.accounts)
        let token = try t.token()
        XCTAssertResponse(t.patchMe(#"{"password":"brandnew1"}"#, auth: bearer(token)), 400,
                          #"{"detail":"UPDATE_USER_CURRENT_PASSWORD_REQUIRED"}"#)
        XCTAssertResponse(t.patchMe(#"{"email":"new@example.com"}"#, auth: bearer(token)), 400,
                          #"{"detail":"UPDATE_USER_CURRENT_PASSWORD_REQUIRED"}"#)
        XCTAssertResponse(t.patchMe(#"{"password":"brandnew1","current_password":"wrong"}"#, auth: bearer(token)), 400,
                          #"{"detail":"UPDATE_USER_BAD_CURRENT_PASSWORD"}"#)
        XCTAssertEqual(try t.app.store.auditEntries(event: "login.failed").count, 1, "a wrong current password counts as a failed login")
        XCTAssertEqual(t.login("johndoe", "secret").status, 200)
    }

    func testAWrongCurrentPasswordIsThrottled() throws {
        let t = try TestApp(TestApp.accounts.merging(["throttle_address_max_failures": "2"]) { $1 })
        let token = try t.token()
        for _ in 0..<2 { _ = t.patchMe(#"{"password":"brandnew1","current_password":"wrong"}"#, auth: bearer(token)) }
        XCTAssertEqual(t.patchMe(#"{"password":"brandnew1","current_password":"secret"}"#, auth: bearer(token)).status, 429)
    }

    func testANewPasswordEndsTheOtherSessionsAndKeepsThisOne() throws {
        let t = try TestApp(TestApp.accounts)
        let other = try t.token()
        let login = t.login("johndoe", "secret", scope: "me offline_access")
        let refresh = try XCTUnwrap(JSON.parse(login.body)["refresh_token"]?.stringValue)
        let mine = try XCTUnwrap(JSON.parse(login.body)["access_token"]?.stringValue)
        XCTAssertEqual(t.patchMe(#"{"password":"brandnew1","current_password":"secret"}"#, auth: bearer(mine)).status, 200)
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("Authorization", bearer(other))]).status, 401)
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("Authorization", bearer(mine))]).status, 401,
                       "every token issued before a new password ends")
        let john = try XCTUnwrap(try t.app.store.user(named: "johndoe"))
        XCTAssertEqual(try t.app.store.listSessions(userID: john.id).count, 1, "this session lives on")
        let renewed = t.request("POST", "/token", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                body: "grant_type=refresh_token&refresh_token=\(refresh)")
        XCTAssertEqual(renewed.status, 200, "and refreshes")
        XCTAssertResponse(t.login("johndoe", "secret"), 400, #"{"detail":"Incorrect username or password"}"#)
        XCTAssertEqual(try t.app.store.auditEntries(event: "password.changed").count, 1)
    }

    func testTheNewPasswordFollowsThePolicy() throws {
        let t = try TestApp(TestApp.accounts)
        XCTAssertResponse(t.patchMe(#"{"password":"abc","current_password":"secret"}"#, auth: bearer(try t.token())), 400,
                          #"{"detail":{"code":"UPDATE_USER_INVALID_PASSWORD","reason":"the password is too short: at least 6 characters are required"}}"#)
    }

    func testANewEmailIsUnverifiedAndGetsAVerificationLink() throws {
        let t = try TestApp(TestApp.accounts)
        _ = t.post("/verify/request", #"{"email":"johndoe@example.com"}"#)
        let oldLink = try t.mailedToken(.verify)
        let r = t.patchMe(#"{"email":"John.New@example.com","current_password":"secret"}"#, auth: bearer(try t.token()))
        XCTAssertEqual(r.status, 200, bodyText(r))
        XCTAssertEqual(try t.app.store.user(named: "johndoe")?.email, "John.New@example.com")
        XCTAssertEqual(try t.messages(.verify).last?.recipient, "John.New@example.com")
        XCTAssertEqual(t.post("/verify", #"{"token":"\#(oldLink)"}"#).status, 400, "the old address's link is spent")
        XCTAssertEqual(t.post("/verify", #"{"token":"\#(try t.mailedToken(.verify))"}"#).status, 200)
    }

    func testAVerifiedEmailBecomesUnverifiedWhenItChanges() throws {
        let t = try TestApp(TestApp.accounts)
        let john = try XCTUnwrap(try t.app.store.user(named: "johndoe"))
        try t.app.store.markEmailVerified(userID: john.id, now: t.now)
        XCTAssertEqual(t.patchMe(#"{"email":"other@example.com","current_password":"secret"}"#, auth: bearer(try t.token())).status, 200)
        XCTAssertEqual(try t.app.store.user(named: "johndoe")?.emailVerified, false)
    }

    func testAnotherAccountsEmailInAnyCaseIsRefused() throws {
        let t = try TestApp(TestApp.accounts)
        XCTAssertResponse(t.patchMe(#"{"email":"AliceChains@Example.com","current_password":"secret"}"#, auth: bearer(try t.token())),
                          400, #"{"detail":"UPDATE_USER_EMAIL_ALREADY_EXISTS"}"#)
        XCTAssertEqual(try t.app.store.user(named: "johndoe")?.email, "johndoe@example.com")
    }

    func testHeaderInjectionInEmailOrNameIs422() throws {
        let t = try TestApp(TestApp.accounts)
        let token = try t.token()
        XCTAssertEqual(t.patchMe(#"{"email":"a@example.com\r\nBcc: x@example.org","current_password":"secret"}"#, auth: bearer(token)).status, 422)
        XCTAssertEqual(t.patchMe(#"{"full_name":"A\nBcc: x@example.org"}"#, auth: bearer(token)).status, 422)
        XCTAssertEqual(try t.app.store.user(named: "johndoe")?.fullName, "John Doe")
    }

    func testTheBrowsersCookieChangesTheProfileFromThisSiteOnly() throws {
        let t = try TestApp(TestApp.accounts)
        let signedIn = t.request("POST", "/login", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                 body: "username=johndoe&password=secret")
        let cookie = String(try XCTUnwrap(signedIn.headers["set-cookie"]).prefix { $0 != ";" })
        let other = try t.token()
        func patch(_ body: String, _ headers: [(String, String)]) -> Response {
            t.request("PATCH", "/users/me/", headers: [("Content-Type", "application/json"), ("Cookie", cookie)] + headers, body: body)
        }
        XCTAssertResponse(patch(#"{"full_name":"Mallory"}"#, [("Origin", "https://evil.example"), ("Host", "localhost")]), 403,
                          #"{"detail":"Cross-site request refused"}"#)
        XCTAssertEqual(try t.app.store.user(named: "johndoe")?.fullName, "John Doe")
        let changed = patch(#"{"password":"brandnew1","current_password":"secret"}"#, [("Origin", "http://localhost"), ("Host", "localhost")])
        XCTAssertEqual(changed.status, 200, bodyText(changed))
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("Authorization", bearer(other))]).status, 401)
        XCTAssertEqual(t.request("GET", "/check", headers: [("Cookie", cookie)]).status, 204, "the browser that changed it stays signed in")
    }

    func testAnAPIKeyCannotChangeAnything() throws {
        let t = try TestApp(TestApp.accounts)
        let created = t.request("POST", "/users/me/api-keys", headers: [
            ("Authorization", TestApp.basic("johndoe", "secret")), ("Content-Type", "application/json"),
        ], body: #"{"name":"k","scopes":["me"]}"#)
        let key = try XCTUnwrap(JSON.parse(created.body)["key"]?.stringValue)
        let r = t.request("PATCH", "/users/me/", headers: [("Content-Type", "application/json"), ("X-API-Key", key)],
                          body: #"{"full_name":"Mallory"}"#)
        XCTAssertEqual(r.status, 401)
        XCTAssertEqual(try t.app.store.user(named: "johndoe")?.fullName, "John Doe")
    }
}
