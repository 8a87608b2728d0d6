import Foundation
import XCTest

/// Two-factor sign-in through nginx, with the codes computed by an independent
/// implementation (Python's pyotp) from the secret Gatehouse handed out: enrol, confirm,
/// the password grant with `otp`, the sign-in page's two steps with curl's cookie jar, HTTP
/// Basic refused, and turning it off.
final class TwoFactorThroughNginxTests: XCTestCase {
    var e: E2E!
    override func setUpWithError() throws { e = try E2E() }
    override func tearDown() { e?.stop() }

    /// The last time step a code was computed for: each code is of a later step than the
    /// previous one (Gatehouse takes a step once), and never more than one step ahead of now.
    var lastStep = 0

    func pyotp(_ secret: String) throws -> String {
        let script = """
            import sys, time, pyotp
            secret, last = sys.argv[1], int(sys.argv[2])
            step = max(last + 1, int(time.time()) // 30 - 1)
            print(pyotp.TOTP(secret).at(step * 30), step)
            """
        let out = String(decoding: try TestPython.run(["-c", script, secret, String(lastStep)]), as: UTF8.self)
        let parts = out.split(whereSeparator: \.isWhitespace).map(String.init)
        guard parts.count == 2, let step = Int(parts[1]) else { throw HarnessError("pyotp printed \(out)") }
        lastStep = step
        return parts[0]
    }

    func json(_ r: HTTPResult) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any], r.text)
    }

    func send(_ method: String, _ path: String, token: String, json body: String) throws -> HTTPResult {
        try e.curl(["-X", method, "-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json",
                    "--data-binary", body, e.url(path)])
    }

    func login(otp: String?) throws -> HTTPResult {
        var args = ["--data-urlencode", "username=johndoe", "--data-urlencode", "password=secret", "--data-urlencode", "scope=me"]
        if let otp { args += ["--data-urlencode", "otp=\(otp)"] }
        return try e.curl(args + [e.url("/auth/token")])
    }

    func testEnrolConfirmSignInBothWaysAndTurnOff() throws {
        let before = try e.token(scope: "me")
        let enrolled = try send("POST", "/auth/users/me/totp", token: before, json: "{}")
        XCTAssertEqual(enrolled.status, 200, enrolled.text)
        XCTAssertEqual(enrolled.header("cache-control"), "no-store")
        let secret = try XCTUnwrap(try json(enrolled)["secret"] as? String)
        let uri = try XCTUnwrap(try json(enrolled)["otpauth_uri"] as? String)
        let parsed = String(decoding: try TestPython.run(["-c", """
            import sys, pyotp
            t = pyotp.parse_uri(sys.argv[1])
            print(t.secret, t.name, t.issuer, t.digits, t.interval, t.digest().name)
            """, uri]), as: UTF8.self)
        XCTAssertEqual(parsed, "\(secret) johndoe Gatehouse 6 30 sha1\n", "pyotp reads the URI as an app would")
        XCTAssertTrue((try json(enrolled)["qr_svg"] as? String)?.hasPrefix("<svg") ?? false)

        let confirmed = try send("POST", "/auth/users/me/totp/confirm", token: before, json: #"{"code":"\#(try pyotp(secret))"}"#)
        XCTAssertEqual(confirmed.status, 200, confirmed.text)
        let recovery = try XCTUnwrap(try json(confirmed)["recovery_codes"] as? [String])
        XCTAssertEqual(recovery.count, 10)
        XCTAssertAnswer(try e.bearer("/auth/users/me/", before), 401, E2E.couldNotValidate, [("www-authenticate", #"Bearer scope="me""#)])

        XCTAssertAnswer(try login(otp: nil), 401, #"{"detail":"One-time code required"}"#,
                        [("www-authenticate", #"Bearer error="insufficient_user_authentication""#)])
        let code = try pyotp(secret)
        let granted = try login(otp: code)
        XCTAssertEqual(granted.status, 200, granted.text)
        let token = try XCTUnwrap(try json(granted)["access_token"] as? String)
        XCTAssertAnswer(try e.bearer("/auth/users/me/", token), 200, E2E.johnMe)
        XCTAssertAnswer(try login(otp: code), 401, #"{"detail":"Incorrect one-time code"}"#,
                        [("www-authenticate", #"Bearer error="insufficient_user_authentication""#)])
        XCTAssertAnswer(try e.get("/auth/users/me/", [], ["-u", "johndoe:secret"]), 401,
                        #"{"detail":"HTTP Basic is refused: two-factor sign-in is on for this account"}"#,
                        [("www-authenticate", "Basic")])

        // The sign-in page: the password, then the code, each a POST with the cookie jar.
        let jar = e.h.dir + "/totp-cookies"
        let first = try e.curl(["-c", jar, "-b", jar, "--data-urlencode", "username=johndoe", "--data-urlencode", "password=secret",
                                "--data-urlencode", "rd=/auth/health", e.url("/auth/login")])
        XCTAssertEqual(first.status, 200, first.text)
        XCTAssertNil(first.header("set-cookie"), "no session for the password alone")
        let marker = #"name="pending" value=""#
        let start = try XCTUnwrap(first.text.range(of: marker), first.text).upperBound
        let pending = String(first.text[start...].prefix { $0 != "\"" })
        XCTAssertEqual(try e.curl(["-b", jar, e.url("/auth/check?mfa=1")]).status, 401, "not signed in yet")
        let second = try e.curl(["-c", jar, "-b", jar, "--data-urlencode", "pending=\(pending)",
                                 "--data-urlencode", "otp=\(try pyotp(secret))", "--data-urlencode", "rd=/auth/health",
                                 e.url("/auth/login/code")])
        XCTAssertEqual(second.status, 303, second.text)
        XCTAssertEqual(second.header("location"), "/auth/health")
        XCTAssertAnswer(try e.curl(["-b", jar, e.url("/auth/check?mfa=1")]), 204, "", [("x-gatehouse-user", "johndoe")])
        let replayed = try e.curl(["--data-urlencode", "pending=\(pending)", "--data-urlencode", "otp=\(recovery[0])",
                                   e.url("/auth/login/code")])
        XCTAssertEqual(replayed.status, 401, "the pending sign-in was spent")

        // A recovery code, once; then off with the password, and the password alone works again.
        XCTAssertEqual(try login(otp: recovery[1]).status, 200)
        XCTAssertEqual(try login(otp: recovery[1]).status, 401)
        XCTAssertAnswer(try send("DELETE", "/auth/users/me/totp", token: token, json: #"{"password":"secret"}"#), 204, "")
        XCTAssertEqual(try e.bearer("/auth/users/me/", token).status, 401, "turning it off ends the tokens too")
        XCTAssertEqual(try login(otp: nil).status, 200)
        XCTAssertEqual(try e.get("/auth/users/me/", [], ["-u", "johndoe:secret"]).status, 200)

        let log = e.h.serverLog()
        XCTAssertTrue(log.contains("totp.enabled") && log.contains("totp.disabled") && log.contains("totp.recovery_code_used"), log)
        for secretText in [secret, code] + recovery {
            XCTAssertFalse(log.contains(secretText), "the log holds no secret or code")
        }
        e.assertNoLeaks()
    }

    func testAnOperatorTurnsItOffForALostAuthenticator() throws {
        let token = try e.token(scope: "me")
        let secret = try XCTUnwrap(try json(try send("POST", "/auth/users/me/totp", token: token, json: "{}"))["secret"] as? String)
        XCTAssertEqual(try send("POST", "/auth/users/me/totp/confirm", token: token, json: #"{"code":"\#(try pyotp(secret))"}"#).status, 200)
        XCTAssertEqual(try login(otp: nil).status, 401)
        XCTAssertTrue(try e.cli(["user", "show", "johndoe"]).text.hasSuffix("two-factor:        TOTP, 10 recovery codes left\n"))
        XCTAssertEqual(try e.cli(["user", "totp-off", "johndoe"]).text, "two-factor sign-in of 'johndoe' turned off\n")
        XCTAssertEqual(try login(otp: nil).status, 200)
        XCTAssertTrue(try e.cli(["user", "show", "johndoe"]).text.hasSuffix("two-factor:        off\n"))
        XCTAssertEqual(try e.cli(["user", "totp-off", "johndoe"]).text, "user 'johndoe' did not have two-factor sign-in on\n")
        XCTAssertTrue(try e.cli(["audit", "--event", "totp.disabled"]).text.contains("cli:"))
    }
}
