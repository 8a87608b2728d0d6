import Foundation
import XCTest
@testable import Gatehouse

/// /verify/request and /verify: one address of one account, once, in time.
final class VerificationTests: XCTestCase {
    static let bad = #"{"detail":"VERIFY_USER_BAD_TOKEN"}"#

    func testARequestAlways202AndMailsOnlyAnUnverifiedAccount() throws {
        let t = try TestApp(TestApp.accounts)
        XCTAssertResponse(t.post("/verify/request", #"{"email":"JohnDoe@example.com"}"#), 202, "null")
        XCTAssertEqual(try t.messages(.verify).map(\.recipient), ["johndoe@example.com"])
        XCTAssertResponse(t.post("/verify/request", #"{"email":"nobody@example.com"}"#), 202, "null")
        XCTAssertResponse(t.post("/verify/request", #"{"email":"alicechains@example.com"}"#), 202, "null")
        XCTAssertEqual(try t.messages(.verify).map(\.recipient), ["johndoe@example.com"], "nobody and a disabled user get nothing")
    }

    func testARequestForNobodyDoesTheSameStoreWorkAsOneForSomebody() throws {
        let t = try TestApp(TestApp.accounts)
        let hashes = PasswordHasher.computations.load(ordering: .relaxed)
        var writes = t.storeWrites
        XCTAssertEqual(t.post("/verify/request", #"{"email":"johndoe@example.com"}"#).status, 202)
        let known = t.storeWrites - writes
        writes = t.storeWrites
        XCTAssertEqual(t.post("/verify/request", #"{"email":"nobody@example.com"}"#).status, 202)
        XCTAssertEqual(t.storeWrites - writes, known)
        XCTAssertEqual(PasswordHasher.computations.load(ordering: .relaxed), hashes)
    }

    func testTheMailedTokenVerifiesOnce() throws {
        let t = try TestApp(TestApp.accounts)
        _ = t.post("/verify/request", #"{"email":"johndoe@example.com"}"#)
        let token = try t.mailedToken(.verify)
        XCTAssertResponse(t.post("/verify", #"{"token":"\#(token)"}"#), 200,
                          #"{"username":"johndoe","email":"johndoe@example.com","full_name":"John Doe","disabled":false}"#)
        XCTAssertEqual(try t.app.store.user(named: "johndoe")?.emailVerified, true)
        XCTAssertResponse(t.post("/verify", #"{"token":"\#(token)"}"#), 400, Self.bad)
        XCTAssertEqual(try t.app.store.auditEntries(event: "email.verified").map(\.username), ["johndoe"])
    }

    func testASecondTokenAfterVerificationSaysAlreadyVerified() throws {
        let t = try TestApp(TestApp.accounts)
        _ = t.post("/verify/request", #"{"email":"johndoe@example.com"}"#)
        let first = try t.mailedToken(.verify)
        _ = t.post("/verify/request", #"{"email":"johndoe@example.com"}"#)
        let second = try t.mailedToken(.verify)
        XCTAssertEqual(t.post("/verify", #"{"token":"\#(second)"}"#).status, 200)
        XCTAssertResponse(t.post("/verify", #"{"token":"\#(first)"}"#), 400, #"{"detail":"VERIFY_USER_ALREADY_VERIFIED"}"#)
    }

    func testAnExpiredTokenIsRefused() throws {
        let t = try TestApp(TestApp.accounts.merging(["verify_token_minutes": "10"]) { $1 })
        _ = t.post("/verify/request", #"{"email":"johndoe@example.com"}"#)
        let token = try t.mailedToken(.verify)
        t.advance(600)
        XCTAssertResponse(t.post("/verify", #"{"token":"\#(token)"}"#), 400, Self.bad)
        XCTAssertEqual(try t.app.store.user(named: "johndoe")?.emailVerified, false)
    }

    func testTruncatedForgedAndOtherPurposeTokensAreRefused() throws {
        let t = try TestApp(TestApp.accounts)
        _ = t.post("/verify/request", #"{"email":"johndoe@example.com"}"#)
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        let token = try t.mailedToken(.verify)
        let reset = try t.mailedToken(.reset)
        for bad in [String(token.dropLast()), token + "A", "ghv_" + String(repeating: "A", count: 43), reset,
                    "ghv_" + reset.dropFirst(5), "", String(repeating: "x", count: 129)] {
            let r = t.post("/verify", #"{"token":"\#(bad)"}"#)
            XCTAssertTrue(r.status == 400 || r.status == 422, "\(bad): \(r.status)")
            if r.status == 400 { XCTAssertEqual(bodyText(r), Self.bad) }
        }
        XCTAssertEqual(try t.app.store.user(named: "johndoe")?.emailVerified, false)
    }

    func testWrongTokensCountAgainstTheAddress() throws {
        let t = try TestApp(TestApp.accounts.merging(["throttle_address_max_failures": "2"]) { $1 })
        _ = t.post("/verify/request", #"{"email":"johndoe@example.com"}"#)
        let token = try t.mailedToken(.verify)
        for _ in 0..<2 { XCTAssertResponse(t.post("/verify", #"{"token":"ghv_nope"}"#), 400, Self.bad) }
        XCTAssertEqual(t.post("/verify", #"{"token":"\#(token)"}"#).status, 429)
        XCTAssertEqual(try t.app.store.user(named: "johndoe")?.emailVerified, false)
    }

    func testATokenDiesWhenTheEmailChanges() throws {
        let t = try TestApp(TestApp.accounts)
        _ = t.post("/verify/request", #"{"email":"johndoe@example.com"}"#)
        let token = try t.mailedToken(.verify)
        var john = try XCTUnwrap(try t.app.store.user(named: "johndoe"))
        john.email = "john.new@example.com"
        try t.app.store.updateUser(john, now: t.now)
        XCTAssertResponse(t.post("/verify", #"{"token":"\#(token)"}"#), 400, Self.bad)
    }

    func testTheVerifiedRuleOfCheckAndOfARequirement() throws {
        let t = try TestApp(TestApp.accounts)
        let basic = [("Authorization", TestApp.basic("johndoe", "secret"))]
        XCTAssertResponse(t.request("GET", "/check", query: "verified=true", headers: basic), 403, #"{"detail":"Email not verified"}"#)
        let requirement = SecurityRequirement(schemes: [HTTPBasic()], verifiedEmail: true)
        let identity = try t.app.authenticator.authorize(
            Request(method: "GET", path: "/", headers: Headers(basic)), SecurityRequirement(schemes: [HTTPBasic()]), app: t.app).0
        XCTAssertThrowsError(try requirement.check(try XCTUnwrap(identity))) { error in
            XCTAssertEqual((error as? HTTPError)?.status, 403)
        }
        _ = t.post("/verify/request", #"{"email":"johndoe@example.com"}"#)
        XCTAssertEqual(t.post("/verify", #"{"token":"\#(try t.mailedToken(.verify))"}"#).status, 200)
        XCTAssertEqual(t.request("GET", "/check", query: "verified=true", headers: basic).status, 204)
        XCTAssertResponse(t.request("GET", "/check", query: "verified=yes", headers: basic), 403, #"{"detail":"Not enough permissions"}"#)
    }
}
