import XCTest
@testable import Gatehouse

/// The sign-in page, the session cookie it sets, and what that cookie may do.
final class SignInTests: XCTestCase {
    var t: TestApp!
    override func setUpWithError() throws { t = try TestApp() }

    let form = [("Content-Type", "application/x-www-form-urlencoded")]

    func signIn(_ body: String, _ headers: [(String, String)] = []) -> Response {
        t.request("POST", "/login", headers: form + headers, body: body, prefix: "/auth")
    }

    func cookie(of r: Response) throws -> String {
        let header = try XCTUnwrap(r.headers["set-cookie"])
        return String(header.prefix { $0 != ";" })
    }

    func testThePageIsPlainAccessibleHTMLThatIsNeverFramed() {
        let r = t.request("GET", "/login", query: "rd=/private/x?a=1&b=2", prefix: "/auth")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["content-type"], "text/html; charset=utf-8")
        XCTAssertEqual(r.headers["x-frame-options"], "DENY")
        XCTAssertTrue(r.headers["content-security-policy"]?.contains("frame-ancestors 'none'") ?? false)
        let page = String(decoding: r.body, as: UTF8.self)
        XCTAssertTrue(page.contains(#"<form method="post" action="/auth/login">"#), page)
        XCTAssertTrue(page.contains(#"<input type="hidden" name="rd" value="/private/x?a=1&amp;b=2">"#), "everything after rd= is the address")
        XCTAssertTrue(page.contains(#"<label for="password">"#))
        let hostile = String(decoding: t.request("GET", "/login", query: "rd=//evil.example", prefix: "/auth").body, as: UTF8.self)
        XCTAssertTrue(hostile.contains(#"name="rd" value="/""#))
    }

    func testSigningInSetsTheCookieAndGoesBack() throws {
        let r = signIn("username=johndoe&password=secret&rd=%2Fprivate%2Freport.txt")
        XCTAssertResponse(r, 303, "", headers: [("location", "/private/report.txt")])
        let header = try XCTUnwrap(r.headers["set-cookie"])
        XCTAssertTrue(header.hasPrefix("gatehouse_session="), header)
        XCTAssertTrue(header.hasSuffix("; HttpOnly; SameSite=Lax; Path=/"), header)
        let check = t.request("GET", "/check", headers: [("Cookie", try cookie(of: r))])
        XCTAssertResponse(check, 204, "", headers: [("x-gatehouse-user", "johndoe"), ("x-gatehouse-scopes", "me items")])
        XCTAssertNotEqual(check.headers["x-gatehouse-session"], "")
        var https = Request(method: "POST", path: "/login", scriptName: "/auth", headers: Headers(form),
                            body: Array("username=johndoe&password=secret".utf8), scheme: "https")
        https.serverName = "auth.example"
        let secure = try XCTUnwrap(t.app.handle(https).headers["set-cookie"])
        XCTAssertTrue(secure.hasPrefix("__Host-gatehouse=") && secure.contains("; Secure; HttpOnly; SameSite=Lax; Path=/"), secure)
    }

    func testAFailedSignInShowsThePageAgain() {
        let r = signIn("username=johndoe&password=wrong&rd=/x")
        XCTAssertEqual(r.status, 401)
        XCTAssertNil(r.headers["set-cookie"])
        let page = String(decoding: r.body, as: UTF8.self)
        XCTAssertTrue(page.contains(#"role="alert">Incorrect username or password.</p>"#), page)
        XCTAssertTrue(page.contains(#"value="/x""#))
        XCTAssertEqual(signIn("username=alice&password=secretalice").status, 401, "a disabled user signs in nowhere")
    }

    func testSignInFromAnotherSiteIsRefused() {
        XCTAssertResponse(signIn("username=johndoe&password=secret", [("Origin", "https://evil.example"), ("Host", "localhost")]), 403,
                          #"{"detail":"Cross-site request refused"}"#)
        XCTAssertEqual(signIn("username=johndoe&password=secret", [("Origin", "http://localhost"), ("Host", "localhost")]).status, 303)
    }

    func testTamperedOrForeignCookiesOpenNothing() throws {
        let good = try cookie(of: signIn("username=johndoe&password=secret"))
        let value = String(good.dropFirst("gatehouse_session=".count))
        let sid = value.prefix { $0 != "." }
        for bad in ["gatehouse_session=\(sid)", "gatehouse_session=\(sid).AAAA", "gatehouse_session=x.y",
                    "gatehouse_session=\(value)x", "gatehouse_session="] {
            XCTAssertEqual(t.request("GET", "/check", headers: [("Cookie", bad)]).status, 401, bad)
        }
        let token = try t.token(scope: "me")
        let tokenSession = try XCTUnwrap(try t.app.keys.verify(token, now: t.now).first { $0.0 == "sid" }?.1.stringValue)
        XCTAssertEqual(t.request("GET", "/check", headers: [("Cookie", "gatehouse_session=\(tokenSession).x")]).status, 401,
                       "a session id alone (as upstreams see it) is no cookie")
    }

    func testLogoutWithTheCookieEndsTheSessionAndNeedsThisSite() throws {
        let jar = try cookie(of: signIn("username=johndoe&password=secret"))
        XCTAssertResponse(t.request("POST", "/logout", headers: [("Cookie", jar), ("Origin", "https://evil.example")]), 403,
                          #"{"detail":"Cross-site request refused"}"#)
        XCTAssertEqual(t.request("GET", "/check", headers: [("Cookie", jar)]).status, 204, "a cross-site POST ended nothing")
        let out = t.request("POST", "/logout", headers: [("Cookie", jar), ("Sec-Fetch-Site", "same-origin")], prefix: "/auth")
        XCTAssertResponse(out, 303, "", headers: [("location", "/auth/login")])
        XCTAssertEqual(out.headers["set-cookie"], "gatehouse_session=; Max-Age=0; HttpOnly; SameSite=Lax; Path=/")
        XCTAssertEqual(t.request("GET", "/check", headers: [("Cookie", jar)]).status, 401)
    }
}
