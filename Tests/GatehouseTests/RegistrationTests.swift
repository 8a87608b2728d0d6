import Foundation
import XCTest
@testable import Gatehouse

/// POST /register: who may, what the account gets, and every way a request can be refused.
final class RegistrationTests: XCTestCase {
    static let exists = #"{"detail":"REGISTER_USER_ALREADY_EXISTS"}"#

    func testClosedByDefaultTheRouteDoesNotExist() throws {
        let t = try TestApp()
        XCTAssertResponse(t.register("newbie", "newbie@example.com"), 404, #"{"detail":"Not Found"}"#)
    }

    func testOpenRegistrationAnswers201WithTheUserAndGrantsOnlyRegistrationScopes() throws {
        let t = try TestApp(TestApp.accounts)
        let r = t.register("newbie", "newbie@example.com", fullName: "New Bie", extra: #","scopes":["items"],"roles":["admin"]"#)
        XCTAssertEqual(r.status, 201, bodyText(r))
        let user = try XCTUnwrap(try t.app.store.user(named: "newbie"))
        XCTAssertEqual(user.scopes, ["me"])
        XCTAssertEqual(user.roles, [])
        XCTAssertFalse(user.emailVerified)
        XCTAssertEqual(bodyText(r), #"{"id":\#(user.id),"username":"newbie","email":"newbie@example.com","full_name":"New Bie","#
            + #""disabled":false,"scopes":["me"],"roles":[],"created_at":"2027-01-15T08:00:00Z","updated_at":"2027-01-15T08:00:00Z"}"#)
        XCTAssertEqual(r.headers["cache-control"], "no-store")
        XCTAssertFalse(bodyText(r).contains("password"))
        // It signs in, and asking for a scope it was not given gets a token without it.
        let login = t.login("newbie", "password1", scope: "me items")
        XCTAssertEqual(login.status, 200)
        let token = try XCTUnwrap(JSON.parse(login.body)["access_token"]?.stringValue)
        XCTAssertResponse(t.request("GET", "/users/me/items/", headers: [("Authorization", "Bearer " + token)]), 401,
                          #"{"detail":"Not enough permissions"}"#)
        XCTAssertEqual(try t.app.store.auditEntries(event: "user.registered").map(\.username), ["newbie"])
    }

    func testRegistrationScopesSettingIsWhatAccountsGet() throws {
        let t = try TestApp(TestApp.accounts.merging(["registration_scopes": "me items"]) { $1 })
        XCTAssertEqual(t.register("newbie", "newbie@example.com").status, 201)
        XCTAssertEqual(try t.app.store.user(named: "newbie")?.scopes, ["me", "items"])
    }

    func testATakenUsernameInAnyCaseIsRefusedWithoutSayingWhich() throws {
        let t = try TestApp(TestApp.accounts)
        XCTAssertResponse(t.register("JohnDoe", "other@example.com"), 400, Self.exists)
        XCTAssertResponse(t.register("johndoe", "other@example.com"), 400, Self.exists)
        XCTAssertEqual(try t.app.store.countUsers(), 2)
    }

    func testATakenEmailInAnyCaseIsRefusedWithTheSameAnswer() throws {
        let t = try TestApp(TestApp.accounts)
        XCTAssertResponse(t.register("someone", "JohnDoe@Example.COM"), 400, Self.exists)
        XCTAssertEqual(try t.app.store.countUsers(), 2)
    }

    func testAUsernameThatIsAnotherAccountsEmailIsRefused() throws {
        let t = try TestApp(TestApp.accounts)
        XCTAssertResponse(t.register("JohnDoe@example.com", "mallory@example.com"), 400, Self.exists)
        XCTAssertEqual(t.register("ann@example.com", "Ann@example.com").status, 201, "one's own email is a fine username")
    }

    func testWrongInviteCodesCountAgainstTheAddress() throws {
        let t = try TestApp(TestApp.accounts.merging(["registration": "invite", "throttle_address_max_failures": "2"]) { $1 })
        let code = try t.app.accountIssuer.issue(.invite, userID: nil, email: nil, lifetime: 86400, mailTo: nil, now: t.now)
        for _ in 0..<2 { XCTAssertEqual(t.register("fresh", "fresh@example.com", extra: #","invite":"ghi_wrong""#).status, 400) }
        XCTAssertEqual(t.register("fresh", "fresh@example.com", extra: #","invite":"\#(code)""#).status, 429)
        XCTAssertNil(try t.app.store.user(named: "fresh"))
    }

    func testAUsernameInAnotherUnicodeFormIsRefused422() throws {
        let t = try TestApp(TestApp.accounts)
        for name in ["ｊohndoe", "johndoe\u{0301}", "jöhndoe", "john doe", "", String(repeating: "a", count: 65)] {
            let r = t.register(name, "fresh@example.com")
            XCTAssertEqual(r.status, 422, name)
            XCTAssertEqual(try JSON.parse(r.body)["detail"]?.arrayValue?.first?["loc"], ["body", "username"], name)
        }
        XCTAssertEqual(try t.app.store.countUsers(), 2)
    }

    func testAnEmailInAnotherUnicodeFormOrMalformedIsRefused422() throws {
        let t = try TestApp(TestApp.accounts)
        for email in ["ｊohndoe@example.com", "jöhn@example.com", "john@exämple.com", "no-at-sign", "a@b", "a..b@example.com",
                      ".a@example.com", "a@-example.com", "a@example..com", "a@b@example.com", "a b@example.com"] {
            let r = t.register("fresh", email)
            XCTAssertEqual(r.status, 422, email)
            XCTAssertEqual(try JSON.parse(r.body)["detail"]?.arrayValue?.first?["type"], "value_error", email)
            XCTAssertEqual(try JSON.parse(r.body)["detail"]?.arrayValue?.first?["loc"], ["body", "email"], email)
        }
        XCTAssertNil(try t.app.store.user(named: "fresh"))
    }

    func testCRorLFInEmailOrFullNameNeverReachesAnything() throws {
        let t = try TestApp(TestApp.accounts)
        let email = t.register("fresh", #"fresh@example.com\r\nBcc: victim@example.org"#)
        XCTAssertEqual(email.status, 422)
        let name = t.register("fresh", "fresh@example.com", fullName: #"Fresh\r\nBcc: victim@example.org"#)
        XCTAssertEqual(name.status, 422)
        XCTAssertEqual(try JSON.parse(name.body)["detail"]?.arrayValue?.first?["type"], "string_pattern_mismatch")
        XCTAssertNil(try t.app.store.user(named: "fresh"))
        XCTAssertEqual(try t.app.store.outboxMessages(), [])
    }

    func testHugeInputsAre422Unhashed() throws {
        let t = try TestApp(TestApp.accounts)
        let hashes = PasswordHasher.computations.load(ordering: .relaxed)
        let huge = String(repeating: "a", count: 100_000)
        XCTAssertEqual(t.register(huge, "fresh@example.com").status, 422)
        XCTAssertEqual(t.register("fresh", huge + "@example.com").status, 422)
        XCTAssertEqual(t.register("fresh", "fresh@example.com", huge).status, 422)
        XCTAssertEqual(t.register("fresh", "fresh@example.com", fullName: huge).status, 422)
        XCTAssertEqual(PasswordHasher.computations.load(ordering: .relaxed), hashes)
    }

    func testThePasswordPolicyAnswersFastapiUsersShape() throws {
        let t = try TestApp(TestApp.accounts)
        XCTAssertResponse(t.register("fresh", "fresh@example.com", "short"), 400,
                          #"{"detail":{"code":"REGISTER_INVALID_PASSWORD","reason":"the password is too short: at least 6 characters are required"}}"#)
        XCTAssertNil(try t.app.store.user(named: "fresh"))
    }

    func testRegistrationFloodsAreThrottledPerAddress() throws {
        let t = try TestApp(TestApp.accounts.merging(["account_requests_per_address": "3"]) { $1 })
        for i in 0..<3 { XCTAssertEqual(t.register("user\(i)", "user\(i)@example.com", from: "192.0.2.7").status, 201) }
        XCTAssertResponse(t.register("user3", "user3@example.com", from: "192.0.2.7"), 429, #"{"detail":"Too many requests"}"#,
                          headers: [("retry-after", "3600")])
        XCTAssertNil(try t.app.store.user(named: "user3"))
        // Refused ones count too, and mail requests share the budget.
        XCTAssertEqual(t.post("/forgot-password", #"{"email":"user0@example.com"}"#, from: "192.0.2.7").status, 429)
        XCTAssertEqual(t.register("user3", "user3@example.com", from: "192.0.2.8").status, 201)
        t.advance(3600)
        XCTAssertEqual(t.register("user4", "user4@example.com", from: "192.0.2.7").status, 201)
    }

    func testInviteModeNeedsAnUnusedInviteOnce() throws {
        let t = try TestApp(TestApp.accounts.merging(["registration": "invite"]) { $1 })
        let invalid = #"{"detail":"REGISTER_INVALID_INVITE"}"#
        XCTAssertResponse(t.register("fresh", "fresh@example.com"), 400, invalid)
        let code = try t.app.accountIssuer.issue(.invite, userID: nil, email: nil, lifetime: 86400, mailTo: nil, now: t.now)
        XCTAssertResponse(t.register("fresh", "fresh@example.com", extra: #","invite":"\#(code.dropLast())""#), 400, invalid)
        XCTAssertResponse(t.register("fresh", "fresh@example.com", extra: #","invite":"ghv_\#(code.dropFirst(4))""#), 400, invalid)
        XCTAssertEqual(t.register("fresh", "fresh@example.com", extra: #","invite":"\#(code)""#).status, 201)
        XCTAssertResponse(t.register("second", "second@example.com", extra: #","invite":"\#(code)""#), 400, invalid)
        XCTAssertNil(try t.app.store.user(named: "second"))
    }

    func testAnInviteForAnAddressOpensOnlyForItAndExpires() throws {
        let t = try TestApp(TestApp.accounts.merging(["registration": "invite"]) { $1 })
        let code = try t.app.accountIssuer.issue(.invite, userID: nil, email: "Guest@example.com", lifetime: 60, mailTo: nil, now: t.now)
        XCTAssertEqual(t.register("fresh", "other@example.com", extra: #","invite":"\#(code)""#).status, 400)
        let late = try t.app.accountIssuer.issue(.invite, userID: nil, email: nil, lifetime: 60, mailTo: nil, now: t.now)
        t.advance(61)
        XCTAssertEqual(t.register("fresh", "guest@example.com", extra: #","invite":"\#(late)""#).status, 400)
        XCTAssertEqual(t.register("fresh", "guest@example.com", extra: #","invite":"\#(code)""#).status, 400)
        XCTAssertNil(try t.app.store.user(named: "fresh"))
    }

    func testInvitesOverHTTPNeedThePermissionAndGrantNothingMore() throws {
        let t = try TestApp(TestApp.accounts.merging(["registration": "invite"]) { $1 })
        let john = [("Authorization", TestApp.basic("johndoe", "secret"))]
        XCTAssertResponse(t.post("/invites", "{}", headers: john), 403, #"{"detail":"Not enough permissions"}"#)
        try t.app.store.createRole(name: "inviter", permissions: [Permissions.invite], now: t.now)
        try t.app.store.grantRole(userID: try XCTUnwrap(try t.app.store.user(named: "johndoe")).id, role: "inviter")
        let r = t.post("/invites", #"{"email":"guest@example.com"}"#, headers: john)
        XCTAssertEqual(r.status, 201, bodyText(r))
        XCTAssertEqual(r.headers["cache-control"], "no-store")
        let code = try XCTUnwrap(JSON.parse(r.body)["code"]?.stringValue)
        XCTAssertEqual(try t.mailedToken(.invite), code)
        XCTAssertEqual(t.register("guest", "guest@example.com", extra: #","invite":"\#(code)""#).status, 201)
        XCTAssertEqual(try t.app.store.user(named: "guest")?.scopes, ["me"])
        XCTAssertEqual(try t.app.store.user(named: "guest")?.roles, [])
    }

    func testRequireVerifiedEmailMailsALinkAtRegistration() throws {
        let t = try TestApp(TestApp.accounts.merging(["require_verified_email": "true"]) { $1 })
        XCTAssertEqual(t.register("fresh", "fresh@example.com", fullName: "Fresh Person").status, 201)
        let message = try XCTUnwrap(try t.messages(.verify).first)
        XCTAssertEqual(message.recipient, "fresh@example.com")
        XCTAssertEqual(message.username, "fresh")
        XCTAssertEqual(message.state, .queued)
        XCTAssertTrue(AccountToken.isWellFormed(try t.mailedToken(.verify), .verify))
    }

    func testWithoutMailTheMailRoutesDoNotExistAndVerifiedEmailCannotBeRequired() throws {
        let t = try TestApp(["registration": "open"])
        for path in ["/verify", "/verify/request", "/forgot-password", "/reset-password"] {
            XCTAssertEqual(t.post(path, "{}").status, 404, path)
        }
        XCTAssertThrowsError(try TestApp(["require_verified_email": "true"])) { error in
            XCTAssertEqual("\(error)", "require_verified_email = true needs a mail_transport other than none")
        }
        XCTAssertThrowsError(try TestApp(["mail_transport": "file", "mail_from": "a@example.com"])) { error in
            XCTAssertEqual("\(error)", "mail_transport = file needs public_url (links in mail)")
        }
    }
}

/// The account routes in /openapi.json, derived from their declarations.
final class AccountOpenAPITests: XCTestCase {
    func testTheDocumentListsTheAccountRoutesWithTheirStatuses() throws {
        let t = try TestApp(TestApp.accounts.merging(["registration": "invite"]) { $1 })
        let doc = try JSON.parse(t.request("GET", "/openapi.json").body)
        func statuses(_ path: String, _ method: String) -> [String] {
            guard case let .object(members)? = doc["paths"]?[path]?[method]?["responses"] else { return [] }
            return members.map(\.0).sorted()
        }
        XCTAssertEqual(statuses("/register", "post"), ["201", "400", "422", "429", "503"])
        XCTAssertEqual(statuses("/invites", "post"), ["201", "400", "401", "403", "422", "503"])
        XCTAssertEqual(statuses("/forgot-password", "post"), ["202", "422", "429"])
        XCTAssertEqual(statuses("/verify/request", "post"), ["202", "422", "429"])
        XCTAssertEqual(statuses("/verify", "post"), ["200", "400", "422"])
        XCTAssertEqual(statuses("/reset-password", "post"), ["200", "400", "422", "503"])
        XCTAssertEqual(statuses("/users/me/", "patch"), ["200", "400", "401", "403", "422", "429", "503"])
        XCTAssertEqual(doc["components"]?["schemas"]?["UserCreate"]?["required"], ["username", "email", "password"])
    }

    func testClosedAndWithoutMailTheyAreAbsent() throws {
        let doc = try JSON.parse(try TestApp().request("GET", "/openapi.json").body)
        for path in ["/register", "/invites", "/forgot-password", "/reset-password", "/verify", "/verify/request"] {
            XCTAssertNil(doc["paths"]?[path], path)
        }
    }
}

/// Whatever arrives at an account route is a precise 4xx (or its success), never a 500.
final class AccountHostileInputTests: XCTestCase {
    func testHostileBodiesGetA4xx() throws {
        let t = try TestApp(TestApp.accounts.merging(["registration": "invite", "account_requests_per_address": "0"]) { $1 })
        let bodies = [
            "", "null", "[]", "\"text\"", "{", "{\"email\":", #"{"email":1}"#, #"{"email":["a@example.com"]}"#,
            #"{"email":{"$ne":null}}"#, #"{"token":null}"#, #"{"token":123}"#, #"{"token":"ghv_\u0000"}"#,
            #"{"username":"a","email":"a@example.com","password":"\u0000\u0000\u0000\u0000\u0000\u0000"}"#,
            #"{"username":"a","email":"a@example.com","password":"aaaaaaaa","invite":"ghi_' OR 1=1 --"}"#,
            #"{"email":"' OR '1'='1@example.com"}"#, #"{"username":"' OR 1=1 --"}"#,
            #"{"email":"\ud800@example.com"}"#, "{\"email\":\"" + String(repeating: "a", count: 500_000) + "\"}",
            #"{"token":"ghpw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","password":"\u202e\u202e\u202e\u202e\u202e\u202e"}"#,
        ]
        let john = [("Authorization", TestApp.basic("johndoe", "secret"))]
        for path in ["/register", "/verify/request", "/verify", "/forgot-password", "/reset-password", "/invites"] {
            for body in bodies {
                for type in ["application/json", "text/plain", "application/x-www-form-urlencoded"] {
                    let r = t.request("POST", path, headers: [("Content-Type", type)] + (path == "/invites" ? john : []), body: body)
                    XCTAssertTrue((200..<500).contains(r.status), "\(path) \(type) \(body.prefix(60)): \(r.status) \(bodyText(r).prefix(200))")
                }
            }
        }
        for body in bodies {
            let r = t.request("PATCH", "/users/me/", headers: [("Content-Type", "application/json")] + john, body: body)
            XCTAssertTrue((200..<500).contains(r.status), "PATCH \(body.prefix(60)): \(r.status)")
        }
        XCTAssertEqual(try t.app.store.countUsers(), 2)
    }
}
