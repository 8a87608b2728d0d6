import Foundation
import XCTest
@testable import Gatehouse

/// Two-factor sign-in through App.handle: enrolment, confirmation, the password grant's `otp`,
/// replay, skew, recovery codes, HTTP Basic, the sign-in page's second step, and turning it off.
final class TwoFactorTests: XCTestCase {
    var t: TestApp!
    override func setUpWithError() throws { t = try TestApp() }

    static let codeRequired = #"{"detail":"One-time code required"}"#
    static let codeIncorrect = #"{"detail":"Incorrect one-time code"}"#
    static let challenge = #"Bearer error="insufficient_user_authentication""#
    static let couldNotValidate = #"{"detail":"Could not validate credentials"}"#
    let json = [("Content-Type", "application/json")]
    let form = [("Content-Type", "application/x-www-form-urlencoded")]

    func bearer(_ token: String) -> [(String, String)] { [("Authorization", "Bearer \(token)")] }

    func body(_ r: Response) throws -> JSON { try JSON.parse(r.body) }

    /// POST /users/me/totp: the secret, decoded.
    func enrol(_ token: String, proof: String = "{}") throws -> [UInt8] {
        let r = t.request("POST", "/users/me/totp", headers: bearer(token) + json, body: proof)
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        XCTAssertEqual(r.headers["cache-control"], "no-store", "a secret is never cached")
        return try XCTUnwrap(Base32.decode(try XCTUnwrap(try body(r)["secret"]?.stringValue)))
    }

    func code(_ secret: [UInt8], offset: Int64 = 0) -> String {
        OneTimePassword.totp(secret: secret, at: t.now + offset * 30)
    }

    func confirm(_ token: String, _ code: String) -> Response {
        t.request("POST", "/users/me/totp/confirm", headers: bearer(token) + json, body: #"{"code":"\#(code)"}"#)
    }

    /// Enrols and confirms johndoe; the secret and the recovery codes. The clock then moves
    /// to the next step, so that a fresh code is not the one the confirmation took.
    func turnOn() throws -> (secret: [UInt8], recovery: [String]) {
        let token = try t.token()
        let secret = try enrol(token)
        let r = confirm(token, code(secret))
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        let codes = try XCTUnwrap(try body(r)["recovery_codes"]?.arrayValue?.compactMap(\.stringValue))
        t.advance(30)
        return (secret, codes)
    }

    func login(otp: String?, scope: String = "me items", from address: String = "") -> Response {
        var body = "username=johndoe&password=secret&scope=\(scope.replacingOccurrences(of: " ", with: "+"))"
        if let otp { body += "&otp=" + (otp.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? otp) }
        return t.request("POST", "/token", headers: form, body: body, from: address)
    }

    func accessToken(_ r: Response) throws -> String {
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        return try XCTUnwrap(try body(r)["access_token"]?.stringValue)
    }

    // MARK: enrolment

    func testEnrolmentAnswersSecretURIAndQRCodeButTurnsNothingOn() throws {
        let token = try t.token()
        let r = t.request("POST", "/users/me/totp", headers: bearer(token) + json, body: "{}")
        XCTAssertEqual(r.status, 200)
        let answer = try body(r)
        let secret = try XCTUnwrap(answer["secret"]?.stringValue)
        XCTAssertEqual(Base32.decode(secret)?.count, 20)
        XCTAssertEqual(answer["otpauth_uri"]?.stringValue,
                       "otpauth://totp/Gatehouse:johndoe?secret=\(secret)&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30")
        XCTAssertTrue(answer["qr_svg"]?.stringValue?.hasPrefix("<svg ") ?? false)
        XCTAssertEqual(r.headers["cache-control"], "no-store")
        XCTAssertResponse(t.request("GET", "/users/me/totp", headers: bearer(token)), 200,
                          #"{"enabled":false,"enabled_at":null,"enrolment_pending":true,"recovery_codes_left":0}"#)
        XCTAssertEqual(login(otp: nil).status, 200, "not on until confirmed")
        XCTAssertEqual(t.request("GET", "/users/me/", headers: bearer(token)).status, 200, "nothing ended")
        XCTAssertEqual(try t.app.store.auditEntries(event: "totp.enrolment_started").count, 1)
    }

    func testTheSignInPagesCookieEnrolsFromThisSiteOnly() throws {
        let signedIn = signIn("username=johndoe&password=secret")
        let cookie = String(try XCTUnwrap(signedIn.headers["set-cookie"]).prefix { $0 != ";" })
        XCTAssertResponse(t.request("POST", "/users/me/totp", headers: json + [("Cookie", cookie), ("Origin", "https://evil.example"),
                                                                              ("Host", "localhost")], body: "{}"),
                          403, #"{"detail":"Cross-site request refused"}"#)
        XCTAssertEqual(try t.app.store.totp(userID: try XCTUnwrap(try t.app.store.user(named: "johndoe")).id), nil)
        let r = t.request("POST", "/users/me/totp", headers: json + [("Cookie", cookie), ("Sec-Fetch-Site", "same-origin")], body: "{}")
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
    }

    func testTheSecretIsStoredSealedAndItsKeyFileIsPrivate() throws {
        let secret = try enrol(try t.token())
        let user = try XCTUnwrap(try t.app.store.user(named: "johndoe"))
        let stored = try XCTUnwrap(try t.app.store.totp(userID: user.id)?.pendingSecret)
        XCTAssertNil(stored.firstRange(of: secret), "the row holds the secret sealed")
        XCTAssertEqual(t.app.twoFactorKey.open(stored, userID: user.id), secret)
        if !t.app.config.databaseIsPostgreSQL {
            let database = try Data(contentsOf: URL(fileURLWithPath: t.app.config.databasePath))
            let wal = (try? Data(contentsOf: URL(fileURLWithPath: t.app.config.databasePath + "-wal"))) ?? Data()
            for bytes in [database, wal] {
                XCTAssertNil(bytes.range(of: Data(secret)), "no plain secret in the database file")
                XCTAssertNil(bytes.range(of: Data(Base32.encode(secret).utf8)), "nor its base32")
            }
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: t.dir + "/totp_key")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    }

    func testAKeyFileOthersMayReadOrWithLittleRandomnessIsRefused() throws {
        let path = t.dir + "/totp_key"
        chmod(path, 0o644)
        XCTAssertThrowsError(try TwoFactorKey.load(config: t.app.config)) {
            XCTAssertTrue("\($0)".contains("\(path): permissions 644 let others read it"), "\($0)")
        }
        try Data((String(repeating: "a", count: 64) + "\n").utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        XCTAssertThrowsError(try TwoFactorKey.load(config: t.app.config)) {
            XCTAssertTrue("\($0)".contains("totp_key_file \(path): too little randomness"), "\($0)")
        }
    }

    func testConfirmationTurnsItOnReturnsTenCodesAndEndsEarlierTokens() throws {
        let token = try t.token()
        let secret = try enrol(token)
        let wrong = String((Int(code(secret))! + 1) % 1_000_000).leftPadded(to: 6)
        XCTAssertResponse(confirm(token, wrong), 400, #"{"detail":"Incorrect one-time code"}"#)
        XCTAssertEqual(login(otp: nil).status, 200, "a wrong code turns nothing on")
        let r = confirm(token, code(secret))
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["cache-control"], "no-store")
        let codes = try XCTUnwrap(try body(r)["recovery_codes"]?.arrayValue?.compactMap(\.stringValue))
        XCTAssertEqual(codes.count, 10)
        XCTAssertEqual(Set(codes).count, 10)
        XCTAssertResponse(t.request("GET", "/users/me/", headers: bearer(token)), 401, Self.couldNotValidate,
                          headers: [("www-authenticate", #"Bearer scope="me""#)])
        XCTAssertEqual(try t.app.store.auditEntries(event: "totp.enabled").count, 1)
        let fresh = try accessToken(login(otp: code(secret, offset: 1)))
        XCTAssertResponse(confirm(fresh, "000000"), 400, #"{"detail":"No TOTP enrolment to confirm"}"#)
    }

    func testConfirmationCodesAreValidated() throws {
        let token = try t.token()
        XCTAssertResponse(confirm(token, "123456"), 400, #"{"detail":"No TOTP enrolment to confirm"}"#)
        _ = try enrol(token)
        XCTAssertResponse(confirm(token, "12ab56"), 422,
            #"{"detail":[{"type":"string_pattern_mismatch","loc":["body","code"],"msg":"String should match pattern '^[0-9]{6}$'","input":"12ab56","ctx":{"pattern":"^[0-9]{6}$"}}]}"#)
        XCTAssertResponse(t.request("POST", "/users/me/totp/confirm", headers: bearer(token) + json, body: "{}"), 422,
            #"{"detail":[{"type":"missing","loc":["body","code"],"msg":"Field required","input":null}]}"#)
        XCTAssertResponse(t.request("POST", "/users/me/totp", headers: bearer(token) + json), 422,
            #"{"detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]}"#)
    }

    // MARK: the password grant

    func testWithTOTPOnThePasswordAloneGetsNoToken() throws {
        let (secret, _) = try turnOn()
        XCTAssertResponse(login(otp: nil), 401, Self.codeRequired, headers: [("www-authenticate", Self.challenge)])
        XCTAssertResponse(login(otp: ""), 401, Self.codeRequired, headers: [("www-authenticate", Self.challenge)])
        XCTAssertResponse(t.login("johndoe", "wrong"), 400, #"{"detail":"Incorrect username or password"}"#)
        let wrong = String((Int(code(secret))! + 1) % 1_000_000).leftPadded(to: 6)
        XCTAssertResponse(login(otp: wrong), 401, Self.codeIncorrect, headers: [("www-authenticate", Self.challenge)])
        let token = try accessToken(login(otp: code(secret)))
        XCTAssertEqual(t.request("GET", "/users/me/", headers: bearer(token)).status, 200)
        let audit = try t.app.store.auditEntries(event: "login.ok")
        XCTAssertEqual(audit.last?.detail, "password and one-time code")
    }

    func testACodeIsAcceptedOnce() throws {
        let (secret, _) = try turnOn()
        let now = code(secret)
        XCTAssertEqual(login(otp: now).status, 200)
        XCTAssertResponse(login(otp: now), 401, Self.codeIncorrect, headers: [("www-authenticate", Self.challenge)])
        XCTAssertResponse(login(otp: code(secret, offset: -1)), 401, Self.codeIncorrect)
        XCTAssertEqual(login(otp: code(secret, offset: 1)).status, 200, "the next step's code, within the skew")
        XCTAssertResponse(login(otp: now), 401, Self.codeIncorrect)
    }

    func testOneStepOfSkewIsAcceptedTwoAreNot() throws {
        let (secret, _) = try turnOn()
        t.advance(300)
        XCTAssertResponse(login(otp: code(secret, offset: -2)), 401, Self.codeIncorrect)
        XCTAssertResponse(login(otp: code(secret, offset: 2)), 401, Self.codeIncorrect)
        XCTAssertEqual(login(otp: code(secret, offset: -1)).status, 200, "a slow clock")
        t.advance(300)
        XCTAssertEqual(login(otp: code(secret, offset: 1)).status, 200, "a fast clock")
    }

    func testRecoveryCodesWorkOnceEachAndAreAudited() throws {
        let (_, recovery) = try turnOn()
        XCTAssertEqual(login(otp: recovery[0]).status, 200)
        XCTAssertResponse(login(otp: recovery[0]), 401, Self.codeIncorrect, headers: [("www-authenticate", Self.challenge)])
        XCTAssertEqual(login(otp: recovery[1].uppercased().replacingOccurrences(of: "-", with: "")).status, 200)
        XCTAssertResponse(login(otp: "aaaaa-bbbbb-ccccc-ddddd-eeeeee"), 401, Self.codeIncorrect)
        let used = try t.app.store.auditEntries(event: "totp.recovery_code_used")
        XCTAssertEqual(used.map(\.detail), ["9 left", "8 left"])
        for entry in try t.app.store.auditEntries() {
            XCTAssertFalse(recovery.contains { entry.detail.lowercased().contains($0.prefix(5)) }, "no code in the audit trail")
        }
        let token = try accessToken(login(otp: recovery[2]))
        XCTAssertResponse(t.request("GET", "/users/me/totp", headers: bearer(token)), 200,
                          #"{"enabled":true,"enabled_at":"2027-01-15T08:00:00Z","enrolment_pending":false,"recovery_codes_left":7}"#)
    }

    func testWrongCodesAreThrottledLikePasswords() throws {
        t = try TestApp(["throttle_address_max_failures": "0", "throttle_user_max_failures": "3", "throttle_user_ban_seconds": "60"])
        let (secret, _) = try turnOn()
        for _ in 0..<3 { XCTAssertEqual(login(otp: "000000", from: "192.0.2.1").status, 401) }
        XCTAssertResponse(login(otp: code(secret), from: "192.0.2.2"), 429, #"{"detail":"Too many failed login attempts"}"#,
                          headers: [("retry-after", "1")])
        let failed = try t.app.store.auditEntries(event: "login.failed")
        XCTAssertEqual(failed.filter { $0.detail == "otp" }.count, 3)
        t.advance(1)
        XCTAssertEqual(login(otp: code(secret), from: "192.0.2.2").status, 200)
    }

    func refresh(_ token: String) -> Response {
        t.request("POST", "/token", headers: form, body: "grant_type=refresh_token&refresh_token=\(token)")
    }

    func testARefreshTokenFromBeforeDiesAndOneFromATwoFactorLoginKeepsItsFactor() throws {
        let before = try XCTUnwrap(try body(t.login(scope: "me offline_access"))["refresh_token"]?.stringValue)
        let (secret, _) = try turnOn()
        XCTAssertResponse(refresh(before), 400,
                          #"{"error":"invalid_grant","error_description":"The refresh token is invalid, expired or revoked"}"#)
        let strong = try XCTUnwrap(try body(login(otp: code(secret), scope: "me offline_access"))["refresh_token"]?.stringValue)
        let renewed = try accessToken(refresh(strong))
        XCTAssertEqual(t.request("GET", "/check", query: "mfa=1", headers: bearer(renewed)).status, 204,
                       "a refresh continues the session its code began")
    }

    // MARK: other ways in

    func testHTTPBasicIsRefusedWhileAPIKeysStillWork() throws {
        let (secret, _) = try turnOn()
        let token = try accessToken(login(otp: code(secret)))
        let created = t.request("POST", "/users/me/api-keys", headers: bearer(token) + json, body: #"{"name":"script","scopes":["me"]}"#)
        XCTAssertEqual(created.status, 201)
        let key = try XCTUnwrap(try body(created)["key"]?.stringValue)
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Authorization", TestApp.basic("johndoe", "secret"))]), 401,
                          #"{"detail":"HTTP Basic is refused: two-factor sign-in is on for this account"}"#,
                          headers: [("www-authenticate", "Basic")])
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Authorization", TestApp.basic("johndoe", "wrong"))]), 401,
                          #"{"detail":"Incorrect username or password"}"#, headers: [("www-authenticate", "Basic")])
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("X-API-Key", key)]).status, 200)
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("Authorization", TestApp.basic("alice", "secretalice"))]).status, 400,
                       "another account's Basic is unchanged")
    }

    func testASessionRemembersItsSecondFactorForCheckAndRequirements() throws {
        let plain = try t.token()
        XCTAssertResponse(t.request("GET", "/check", query: "mfa=1", headers: bearer(plain)), 403,
                          #"{"detail":"Two-factor sign-in required"}"#)
        XCTAssertEqual(t.request("GET", "/check", query: "mfa=0", headers: bearer(plain)).status, 403, "an unknown rule denies")
        let (secret, _) = try turnOn()
        let strong = try accessToken(login(otp: code(secret)))
        XCTAssertEqual(t.request("GET", "/check", query: "mfa=1&scope=me", headers: bearer(strong)).status, 204)
        let user = try XCTUnwrap(try t.app.store.user(named: "johndoe"))
        let requirement = SecurityRequirement(schemes: [HTTPBasic()], secondFactor: true)
        XCTAssertThrowsError(try requirement.check(Identity(user: user, scopes: [], permissions: [], kind: .apiKey(id: "x")))) {
            XCTAssertEqual(($0 as? HTTPError)?.response.status, 403)
        }
        var identity = Identity(user: user, scopes: [], permissions: [], kind: .token)
        identity.secondFactor = true
        XCTAssertNoThrow(try requirement.check(identity))
        XCTAssertEqual(Route("GET", "/x", name: "x", security: requirement) { _, _ in .empty }.errorStatuses, [400, 401, 403, 503])
    }

    // MARK: changing it

    func testReEnrolmentWhileOnNeedsACodeOrThePasswordAndKeepsTheOldSecretUntilConfirmed() throws {
        let (secret, _) = try turnOn()
        let token = try accessToken(login(otp: code(secret)))
        XCTAssertResponse(t.request("POST", "/users/me/totp", headers: bearer(token) + json, body: "{}"), 400,
                          #"{"detail":"A one-time code or the password is required"}"#)
        XCTAssertResponse(t.request("POST", "/users/me/totp", headers: bearer(token) + json, body: #"{"password":"wrong"}"#), 400,
                          #"{"detail":"Incorrect one-time code or password"}"#)
        let fresh = try enrol(token, proof: #"{"password":"secret"}"#)
        XCTAssertNotEqual(fresh, secret)
        t.advance(30)
        XCTAssertEqual(login(otp: code(secret)).status, 200, "the old secret holds until the new one is confirmed")
        XCTAssertEqual(confirm(token, code(fresh)).status, 200)
        t.advance(30)
        XCTAssertEqual(login(otp: code(secret)).status, 401, "now the old one is gone")
        XCTAssertEqual(login(otp: code(fresh)).status, 200)
    }

    func testTurningItOffNeedsProofEndsTokensAndLetsThePasswordBackIn() throws {
        let (secret, recovery) = try turnOn()
        let token = try accessToken(login(otp: code(secret)))
        XCTAssertResponse(t.request("DELETE", "/users/me/totp", headers: bearer(token) + json, body: "{}"), 400,
                          #"{"detail":"A one-time code or the password is required"}"#)
        XCTAssertResponse(t.request("DELETE", "/users/me/totp", headers: bearer(token) + json, body: #"{"code":"000000"}"#), 400,
                          #"{"detail":"Incorrect one-time code or password"}"#)
        XCTAssertResponse(t.request("DELETE", "/users/me/totp", headers: bearer(token) + json, body: #"{"code":"\#(recovery[0])"}"#),
                          204, "")
        XCTAssertResponse(t.request("GET", "/users/me/", headers: bearer(token)), 401, Self.couldNotValidate)
        let plain = try accessToken(login(otp: nil))
        XCTAssertResponse(t.request("DELETE", "/users/me/totp", headers: bearer(plain) + json, body: #"{"password":"secret"}"#), 400,
                          #"{"detail":"Two-factor sign-in is not on"}"#)
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("Authorization", TestApp.basic("johndoe", "secret"))]).status, 200)
        XCTAssertEqual(try t.app.store.auditEntries(event: "totp.disabled").count, 1)
    }

    // MARK: the sign-in page

    func signIn(_ body: String, _ path: String = "/login", from address: String = "") -> Response {
        t.request("POST", path, headers: form, body: body, prefix: "/auth", from: address)
    }

    func pending(in r: Response) throws -> String {
        let page = String(decoding: r.body, as: UTF8.self)
        let marker = #"name="pending" value=""#
        let start = try XCTUnwrap(page.range(of: marker), page).upperBound
        return String(page[start...].prefix { $0 != "\"" })
    }

    func testTheSignInPageAsksForTheCodeInASecondStep() throws {
        let (secret, _) = try turnOn()
        let first = signIn("username=johndoe&password=secret&rd=%2Fprivate")
        XCTAssertEqual(first.status, 200)
        XCTAssertNil(first.headers["set-cookie"], "no session for the password alone")
        XCTAssertEqual(first.headers["cache-control"], "no-store")
        let page = String(decoding: first.body, as: UTF8.self)
        XCTAssertTrue(page.contains(#"<form method="post" action="/auth/login/code">"#), page)
        XCTAssertTrue(page.contains(#"autocomplete="one-time-code""#))
        XCTAssertTrue(page.contains(#"<input type="hidden" name="rd" value="/private">"#))
        let handle = try pending(in: first)

        let wrong = signIn("pending=\(handle)&otp=000000&rd=%2Fprivate", "/login/code")
        XCTAssertEqual(wrong.status, 401)
        XCTAssertTrue(String(decoding: wrong.body, as: UTF8.self).contains(#"role="alert">Incorrect code.</p>"#))
        XCTAssertEqual(try pending(in: wrong), handle, "the same pending sign-in, to try again")

        let done = signIn("pending=\(handle)&otp=\(code(secret))&rd=%2Fprivate", "/login/code")
        XCTAssertResponse(done, 303, "", headers: [("location", "/private")])
        let cookie = String(try XCTUnwrap(done.headers["set-cookie"]).prefix { $0 != ";" })
        XCTAssertEqual(t.request("GET", "/check", query: "mfa=1", headers: [("Cookie", cookie)]).status, 204)

        t.advance(30)
        let again = signIn("pending=\(handle)&otp=\(code(secret))", "/login/code")
        XCTAssertEqual(again.status, 401, "single use")
        XCTAssertTrue(String(decoding: again.body, as: UTF8.self).contains("Your sign-in has expired; sign in again."))
        XCTAssertTrue(String(decoding: again.body, as: UTF8.self).contains(#"<label for="password">"#), "back to the password")
    }

    static let expiredPage = "Your sign-in has expired; sign in again."
    func text(_ r: Response) -> String { String(decoding: r.body, as: UTF8.self) }

    /// The code step's answer, which must be the password page again with `message`.
    func assertBackToThePassword(_ r: Response, _ message: String = TwoFactorTests.expiredPage,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 401, file: file, line: line)
        XCTAssertNil(r.headers["set-cookie"], file: file, line: line)
        XCTAssertTrue(text(r).contains(#"role="alert">\#(message)</p>"#), text(r), file: file, line: line)
        XCTAssertTrue(text(r).contains(#"<label for="password">"#), "the password step", file: file, line: line)
    }

    func testAPendingSignInIsBoundToItsClient() throws {
        let (secret, _) = try turnOn()
        let step = signIn("username=johndoe&password=secret", from: "192.0.2.1")
        XCTAssertEqual(step.status, 200)
        assertBackToThePassword(signIn("pending=\(try pending(in: step))&otp=\(code(secret))", "/login/code", from: "192.0.2.2"))
    }

    func testAForgedPendingSignInOpensNothing() throws {
        let (secret, _) = try turnOn()
        assertBackToThePassword(signIn("pending=forged&otp=\(code(secret))", "/login/code"))
        assertBackToThePassword(signIn("pending=\(PendingHandle.generate())&otp=\(code(secret))", "/login/code"))
    }

    func testAPendingSignInExpires() throws {
        let (secret, _) = try turnOn()
        let stale = try pending(in: signIn("username=johndoe&password=secret"))
        t.advance(Int64(t.app.config.pendingSignInSeconds))
        assertBackToThePassword(signIn("pending=\(stale)&otp=\(code(secret))", "/login/code"))
    }

    func testAPasswordChangedMeanwhileEndsAPendingSignIn() throws {
        let (secret, _) = try turnOn()
        let pendingBefore = try pending(in: signIn("username=johndoe&password=secret"))
        let user = try XCTUnwrap(try t.app.store.user(named: "johndoe"))
        try t.app.store.setPasswordHash(userID: user.id, hash: try t.app.hasher.hash("another"), now: t.now)
        assertBackToThePassword(signIn("pending=\(pendingBefore)&otp=\(code(secret))", "/login/code"))
    }

    func testAPendingSignInIsDroppedAfterFiveWrongCodes() throws {
        let (secret, _) = try turnOn()
        let guessed = try pending(in: signIn("username=johndoe&password=secret"))
        for _ in 0..<(SignInRoutes.pendingFailureLimit - 1) {
            let wrong = signIn("pending=\(guessed)&otp=000000", "/login/code")
            XCTAssertEqual(wrong.status, 401)
            XCTAssertTrue(text(wrong).contains(#"role="alert">Incorrect code.</p>"#))
        }
        assertBackToThePassword(signIn("pending=\(guessed)&otp=000000", "/login/code"), "Too many wrong codes; sign in again.")
        assertBackToThePassword(signIn("pending=\(guessed)&otp=\(code(secret))", "/login/code"))
    }

    func testTheCodeStepRefusesOtherSites() throws {
        XCTAssertResponse(t.request("POST", "/login/code", headers: form + [("Origin", "https://evil.example"), ("Host", "localhost")],
                                    body: "pending=x&otp=123456"), 403, #"{"detail":"Cross-site request refused"}"#)
    }
}
