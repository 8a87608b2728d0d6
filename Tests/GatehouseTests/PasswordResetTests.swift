import Foundation
import XCTest
@testable import Gatehouse

/// /forgot-password and /reset-password: no enumeration, one use, bound to the password.
final class PasswordResetTests: XCTestCase {
    static let bad = #"{"detail":"RESET_PASSWORD_BAD_TOKEN"}"#

    func reset(_ t: TestApp, _ token: String, _ password: String = "brandnew1") -> Response {
        t.post("/reset-password", #"{"token":"\#(token)","password":"\#(password)"}"#)
    }

    func testForgotAlways202AndMailsOnlyAnAccountThatExists() throws {
        let t = try TestApp(TestApp.accounts)
        XCTAssertResponse(t.post("/forgot-password", #"{"email":"nobody@example.com"}"#), 202, "null")
        XCTAssertResponse(t.post("/forgot-password", #"{"email":"JOHNDOE@example.com"}"#), 202, "null")
        XCTAssertResponse(t.post("/forgot-password", #"{"username":"nobody"}"#), 202, "null")
        XCTAssertResponse(t.post("/forgot-password", #"{"username":"johndoe"}"#), 202, "null")
        XCTAssertEqual(try t.messages(.reset).map(\.recipient), ["johndoe@example.com", "johndoe@example.com"])
        XCTAssertResponse(t.post("/forgot-password", "{}"), 422,
                          #"{"detail":[{"type":"missing","loc":["body","email"],"msg":"Field required","input":null}]}"#)
    }

    func testForgotForNobodyDoesTheSameWorkAsForSomebody() throws {
        let t = try TestApp(TestApp.accounts)
        let hashes = PasswordHasher.computations.load(ordering: .relaxed)
        var writes = t.storeWrites
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        let known = t.storeWrites - writes
        writes = t.storeWrites
        _ = t.post("/forgot-password", #"{"email":"nobody@example.com"}"#)
        XCTAssertEqual(t.storeWrites - writes, known)
        XCTAssertGreaterThan(known, 0)
        XCTAssertEqual(PasswordHasher.computations.load(ordering: .relaxed), hashes, "neither path hashes")
    }

    func testAResetEndsEverySessionAndTokenAndTheOldPassword() throws {
        let t = try TestApp(TestApp.accounts)
        let before = try t.token()
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        XCTAssertResponse(reset(t, try t.mailedToken(.reset)), 200, "null")
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("Authorization", "Bearer " + before)]).status, 401)
        XCTAssertEqual(try t.app.store.listSessions(userID: XCTUnwrap(try t.app.store.user(named: "johndoe")).id), [])
        XCTAssertResponse(t.login("johndoe", "secret"), 400, #"{"detail":"Incorrect username or password"}"#)
        XCTAssertEqual(t.login("johndoe", "brandnew1").status, 200)
        XCTAssertEqual(try t.app.store.auditEntries(event: "password.changed").map(\.detail), ["reset"])
    }

    func testATokenWorksOnce() throws {
        let t = try TestApp(TestApp.accounts)
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        let token = try t.mailedToken(.reset)
        XCTAssertEqual(reset(t, token).status, 200)
        XCTAssertResponse(reset(t, token, "another1"), 400, Self.bad)
        XCTAssertEqual(t.login("johndoe", "brandnew1").status, 200)
    }

    func testAnExpiredTokenIsRefused() throws {
        let t = try TestApp(TestApp.accounts.merging(["reset_token_minutes": "5"]) { $1 })
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        let token = try t.mailedToken(.reset)
        t.advance(300)
        XCTAssertResponse(reset(t, token), 400, Self.bad)
        XCTAssertEqual(t.login("johndoe", "secret").status, 200)
    }

    func testATokenDiesWhenThePasswordChangesAnotherWay() throws {
        let t = try TestApp(TestApp.accounts)
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        let token = try t.mailedToken(.reset)
        t.advance(1)
        let john = try XCTUnwrap(try t.app.store.user(named: "johndoe"))
        try t.app.store.setPasswordHash(userID: john.id, hash: try t.app.hasher.hash("changed1"), now: t.now)
        XCTAssertResponse(reset(t, token), 400, Self.bad)
        XCTAssertEqual(t.login("johndoe", "changed1").status, 200)
    }

    func testOneResetSpendsTheOthers() throws {
        let t = try TestApp(TestApp.accounts)
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        let first = try t.mailedToken(.reset)
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        XCTAssertEqual(reset(t, try t.mailedToken(.reset)).status, 200)
        XCTAssertResponse(reset(t, first, "another1"), 400, Self.bad)
    }

    func testTruncatedForgedAndVerificationTokensAreRefused() throws {
        let t = try TestApp(TestApp.accounts)
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        _ = t.post("/verify/request", #"{"email":"johndoe@example.com"}"#)
        let token = try t.mailedToken(.reset)
        for bad in [String(token.dropLast()), String(token.prefix(20)), "ghpw_" + String(repeating: "A", count: 43),
                    try t.mailedToken(.verify), "ghpw_" + (try t.mailedToken(.verify)).dropFirst(4)] {
            XCTAssertResponse(reset(t, bad), 400, Self.bad)
        }
        XCTAssertEqual(t.login("johndoe", "secret").status, 200)
    }

    func testWrongTokensCountAgainstTheAddressLikeWrongPasswords() throws {
        let t = try TestApp(TestApp.accounts.merging(["throttle_address_max_failures": "2"]) { $1 })
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        let token = try t.mailedToken(.reset)
        for _ in 0..<2 { XCTAssertResponse(reset(t, "ghpw_" + String(repeating: "B", count: 43)), 400, Self.bad) }
        let refused = reset(t, token)
        XCTAssertEqual(refused.status, 429)
        XCTAssertEqual(t.login("johndoe", "secret").status, 429, "the same address's ban")
        XCTAssertEqual(try t.app.store.auditEntries(event: "login.failed").map(\.detail), ["reset", "reset"])
    }

    func testATokenChangesOnlyTheAccountItWasMailedFor() throws {
        let t = try TestApp(TestApp.accounts)
        try t.addUser("mallory", "mallorypass", email: "mallory@example.com", scopes: ["me"])
        _ = t.post("/forgot-password", #"{"email":"mallory@example.com"}"#)
        let mallorys = try t.mailedToken(.reset)
        XCTAssertEqual(try t.messages(.reset).map(\.recipient), ["mallory@example.com"])
        XCTAssertEqual(t.post("/reset-password", #"{"token":"\#(mallorys)","password":"brandnew1","username":"johndoe"}"#).status, 200)
        XCTAssertEqual(t.login("johndoe", "secret").status, 200, "johndoe keeps his password")
        XCTAssertEqual(t.login("mallory", "brandnew1").status, 200)
    }

    func testTheNewPasswordFollowsThePolicy() throws {
        let t = try TestApp(TestApp.accounts)
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        let token = try t.mailedToken(.reset)
        XCTAssertResponse(reset(t, token, "abc"), 400,
                          #"{"detail":{"code":"RESET_PASSWORD_INVALID_PASSWORD","reason":"the password is too short: at least 6 characters are required"}}"#)
        XCTAssertEqual(reset(t, token).status, 200, "a refused password does not spend the token")
    }

    func testADisabledAccountGetsNoMailAndNoReset() throws {
        let t = try TestApp(TestApp.accounts)
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        let token = try t.mailedToken(.reset)
        _ = t.post("/forgot-password", #"{"email":"alicechains@example.com"}"#)
        XCTAssertEqual(try t.messages(.reset).count, 1)
        var john = try XCTUnwrap(try t.app.store.user(named: "johndoe"))
        john.disabled = true
        try t.app.store.updateUser(john, now: t.now)
        XCTAssertResponse(reset(t, token), 400, Self.bad)
    }
}
