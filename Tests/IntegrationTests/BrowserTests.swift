import Foundation
import XCTest

/// The demo site of `make run` (nginx/demo-site.conf over www/) and `/auth/docs`, in headless
/// Chromium: a private nginx + Gatehouse, a chromedriver of this test's own on a free port,
/// and selenium driving it from browser/drive.py. Screenshots of each step are kept in
/// `.build/browser-tests/<test>/` (printed), as are chromedriver's log and the script's.
final class BrowserTests: XCTestCase {
    var e: E2E!
    var chromedriver: Process?
    var driverURL = ""
    var out = ""

    static let script = Harness.packageRoot.appendingPathComponent("Tests/IntegrationTests/browser/drive.py").path

    override func setUpWithError() throws {
        let name = String(name.filter { $0.isLetter || $0.isNumber || $0 == "." })
        out = Harness.packageRoot.appendingPathComponent(".build/browser-tests/\(name)").path
        try? FileManager.default.removeItem(atPath: out)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // A site whose Swagger UI files are missing: an empty folder where they would be.
        let swaggerUI = name.contains("WithoutItsFiles") ? out + "/no-swagger-ui" : Harness.swaggerUI
        try FileManager.default.createDirectory(atPath: out + "/no-swagger-ui", withIntermediateDirectories: true)
        // A site where registration needs an invitation.
        let settings = DemoSite.settings.merging(name.contains("ByInvitation") ? ["registration": "invite"] : [:]) { $1 }
        e = try E2E(config: settings, nginxServerDirectives: try DemoSite.directives(), mountAtRoot: false, swaggerUI: swaggerUI)
    }

    override func tearDown() {
        if let chromedriver, chromedriver.isRunning {
            kill(chromedriver.processIdentifier, SIGTERM)
            if !Harness.wait(chromedriver, timeout: 10) { kill(chromedriver.processIdentifier, SIGKILL) }
        }
        chromedriver = nil
        e?.stop()
        super.tearDown()
    }

    func startChromedriver() throws {
        let port = try Harness.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/chromedriver")
        process.arguments = ["--port=\(port)", "--log-path=\(out)/chromedriver.log"]
        let log = FileHandle(forWritingAtPath: try Harness.createFile(out + "/chromedriver.out"))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        chromedriver = process
        print("BrowserTests: chromedriver (pid \(process.processIdentifier)); screenshots and logs in \(out)")
        driverURL = "http://127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let status = try? Harness.run("/usr/bin/curl", ["-s", "--max-time", "2", driverURL + "/status"]),
               status.text.contains("\"ready\":true") { return }
            usleep(100_000)
        }
        throw HarnessError("chromedriver not ready after 15 s")
    }

    func drive(_ scenario: String) throws {
        try startChromedriver()
        let output = try TestPython.run([BrowserTests.script, scenario, "--base", e.h.baseURL, "--driver", driverURL, "--out", out,
                                         "--mail", e.h.dir + "/data/mail"])
        print(String(decoding: output, as: UTF8.self))
        let shots = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".png") }
        XCTAssertFalse(shots.isEmpty, "screenshots in \(out)")
    }

    /// Sign in through the cookie flow, see the account, open /private/, create and revoke a
    /// key, end another session, sign out, and be sent to sign in when opening /private/ again
    /// (and back there after signing in); sign out everywhere; no console errors on the way
    /// (a favicon included).
    func testTheDemoSiteInChromium() throws {
        try drive("site")
    }

    /// Swagger UI from the site's own files: Authorize as johndoe (OAuth2 password flow),
    /// "Try it out" on /users/me/, 200.
    func testSwaggerUIAuthorizesAndTriesUsersMe() throws {
        try drive("docs")
    }

    /// Without Swagger UI's files the page says so, and links the schema; the only console
    /// errors are those files' 404s.
    func testSwaggerUIWithoutItsFilesSaysWhereTheSchemaIs() throws {
        try drive("docs-missing")
    }

    /// Register on /register (and ask for the link again), open the link of the verification
    /// mail (the file transport's .eml) on /verify: verified, and the same link a second time
    /// `400 VERIFY_USER_BAD_TOKEN`; sign in; change the password on the account page (the old
    /// one is then refused, this session lives on; a wrong current password is
    /// `400 UPDATE_USER_BAD_CURRENT_PASSWORD` and changes nothing); change the email and verify it too.
    func testRegisterVerifyAndChangePasswordAndEmailInChromium() throws {
        try drive("accounts")
    }

    /// On the account page: turn two-factor sign-in on (the QR code drawn, the key shown,
    /// confirmed with pyotp's code of that key), the recovery codes shown once, every session
    /// ended; sign in through the sign-in page's code step; a wrong password does not turn it
    /// off (`400 Incorrect one-time code or password`), a recovery code does; sign in with the
    /// password alone.
    func testTwoFactorOnWithTheQRCodeSignInWithACodeAndOffWithARecoveryCodeInChromium() throws {
        try drive("two-factor")
    }

    /// With `registration = invite`: /register without a code is `400 REGISTER_INVALID_INVITE`;
    /// the link of the invitation mail (`gatehouse invite create --email`) opens /register
    /// with the code, which registers.
    func testRegisterByInvitationInChromium() throws {
        try e.cli(["invite", "create", "--email", "bob@example.com"])
        try drive("invite")
    }

    /// Forgot password from the home page, the reset mail's link on /reset-password, a new
    /// password, signed in with it (the old one refused); the same link again is
    /// `400 RESET_PASSWORD_BAD_TOKEN` and changes nothing.
    func testForgotAndResetPasswordInChromium() throws {
        try drive("reset")
    }

    // MARK: the same site through nginx with curl

    let crossSite = #"{"detail":"Cross-site request refused"}"#

    func signedIn() throws -> String {
        let r = try e.curl(["--data", "username=johndoe&password=secret&rd=/account/", e.url("/auth/login")])
        XCTAssertEqual(r.status, 303, r.text)
        XCTAssertEqual(r.header("location"), "/account/")
        return String(try XCTUnwrap(r.header("set-cookie")).prefix { $0 != ";" })
    }

    func testPagesNeedASessionAndBrowsersAreSentToSignIn() throws {
        for page in ["/account/", "/private/"] {
            let browser = try e.get(page, ["Accept: text/html"])
            XCTAssertEqual(browser.status, 302, page)
            XCTAssertEqual(browser.header("location"), e.h.baseURL + "/auth/login?rd=\(page)")
            XCTAssertAnswer(try e.get(page), 401, E2E.notAuthenticated, [("WWW-Authenticate", "Bearer")])
            let open = try e.get(page, ["Cookie: \(try signedIn())"])
            XCTAssertEqual(open.status, 200, page)
            XCTAssertEqual(open.header("Cache-Control"), "no-store", "a protected page is never kept")
            XCTAssertEqual(open.header("Content-Security-Policy"), "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
        }
        XCTAssertEqual(try e.get("/").status, 200, "the home page is public")
        let icon = try e.get("/favicon.ico")
        XCTAssertEqual(icon.status, 200)
        XCTAssertEqual(icon.header("Content-Type"), "image/x-icon")
    }

    /// The links Gatehouse mails (public_url + `/verify?token=`, `/reset-password?token=`,
    /// `/register?invite=`) and /forgot-password open the site's pages, public, under the same
    /// CSP, and those pages send no Referer (the address may carry a token).
    func testTheMailedLinksOpenTheAccountPages() throws {
        let policy = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        let pages = ["/verify?token=ghv_x": "Verify your email", "/reset-password?token=ghpw_x": "Choose a new password",
                     "/register?invite=ghi_x": "Create an account", "/forgot-password": "Forgot your password?"]
        for (link, title) in pages {
            let page = try e.get(link, ["Accept: text/html"])
            XCTAssertEqual(page.status, 200, link)
            XCTAssertEqual(page.header("Content-Type"), "text/html", link)
            XCTAssertEqual(page.header("Content-Security-Policy"), policy, link)
            XCTAssertTrue(page.text.contains("<title>\(title) — Gatehouse demo</title>"), link)
            XCTAssertTrue(page.text.contains(#"<meta name="referrer" content="no-referrer">"#), link)
            XCTAssertTrue(page.text.contains(#"<script src="/self-service.js" defer></script>"#), link)
        }
        XCTAssertEqual(try e.get("/no-such-page").status, 404)
    }

    /// The CSP allows no inline script: every page's scripts are files of the site.
    func testNoPageHasAnInlineScript() throws {
        let www = Harness.packageRoot.appendingPathComponent("www")
        let pages = try FileManager.default.subpathsOfDirectory(atPath: www.path).filter { $0.hasSuffix(".html") }
        XCTAssertGreaterThanOrEqual(pages.count, 7, "\(pages)")
        for page in pages {
            let html = try String(contentsOf: www.appendingPathComponent(page), encoding: .utf8)
            let tags = html.components(separatedBy: "<script").count - 1
            let files = html.matches(of: /<script src="\/([a-z\/-]+\.js)" defer><\/script>/).map { String($0.output.1) }
            XCTAssertEqual(tags, files.count, "\(page): every script is <script src=\"/….js\" defer></script>, none has a body")
            for file in files {
                XCTAssertTrue(FileManager.default.fileExists(atPath: www.appendingPathComponent(file).path), "\(page): /\(file)")
            }
            XCTAssertFalse(html.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) != nil, "\(page): an inline event handler")
        }
    }

    func testACookieRequestFromAnotherSiteIsRefusedThroughNginx() throws {
        let jar = try signedIn()
        let json = ["Content-Type: application/json"]
        let body = ["--data", #"{"name":"csrf","scopes":["me"]}"#]
        let foreign = ["Cookie: \(jar)", "Origin: http://evil.example"]
        let own = ["Cookie: \(jar)", "Origin: \(e.h.baseURL)"]
        XCTAssertAnswer(try e.get("/auth/users/me/api-keys", foreign + json, body), 403, crossSite)
        let created = try e.get("/auth/users/me/api-keys", own + json, body)
        XCTAssertEqual(created.status, 201, created.text)
        XCTAssertEqual(created.header("Cache-Control"), "no-store")
        let key = try JSONSerialization.jsonObject(with: Data(created.body)) as? [String: Any]
        let id = try XCTUnwrap(key?["id"] as? String)
        e.assertNoLeaks()  // up to the one answer that shows the key, once
        e.secrets.append(try XCTUnwrap(key?["key"] as? String))
        XCTAssertAnswer(try e.get("/auth/users/me/api-keys/\(id)", foreign, ["-X", "DELETE"]), 403, crossSite)
        XCTAssertAnswer(try e.get("/auth/users/me/api-keys/\(id)", own, ["-X", "DELETE"]), 204, "")

        _ = try e.token(scope: "me")
        XCTAssertAnswer(try e.get("/auth/users/me/sessions", foreign, ["-X", "DELETE"]), 403, crossSite)
        XCTAssertAnswer(try e.get("/auth/logout", foreign, ["-X", "POST"]), 403, crossSite)
        let sessions = try e.get("/auth/users/me/sessions", ["Cookie: \(jar)"])
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(sessions.body)) as? [Any])?.count, 2, "nothing ended")
        XCTAssertAnswer(try e.get("/auth/users/me/sessions", own, ["-X", "DELETE"]), 204, "")
        let left = try e.get("/auth/users/me/sessions", ["Cookie: \(jar)"])
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(left.body)) as? [Any])?.count, 1)
        e.assertNoLeaks()
    }

    func testTokensKeysAndPasswordsAreUnaffectedByTheCookieRule() throws {
        let token = try e.token(scope: "me")
        let body = ["--data", #"{"name":"api","scopes":["me"]}"#]
        let created = try e.get("/auth/users/me/api-keys",
                                ["Authorization: Bearer \(token)", "Origin: http://evil.example", "Content-Type: application/json"], body)
        XCTAssertEqual(created.status, 201, created.text)
        let key = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(created.body)) as? [String: Any])?["key"] as? String)
        e.assertNoLeaks()
        e.secrets.append(key)
        XCTAssertAnswer(try e.get("/auth/users/me/", ["X-API-Key: \(key)", "Origin: http://evil.example"]), 200, E2E.johnMe)
        XCTAssertEqual(try e.get("/auth/users/me/sessions", ["Origin: http://evil.example"], ["-u", "johndoe:secret", "-X", "DELETE"]).status,
                       204)
        let jar = try signedIn()
        XCTAssertAnswer(try e.get("/auth/users/me/", ["Cookie: \(jar)", "Authorization: Bearer nonsense"]), 401, E2E.couldNotValidate,
                        [("WWW-Authenticate", #"Bearer scope="me""#)])
    }

    func testDocsServesSwaggerUIFromThisSite() throws {
        let page = try e.get("/auth/docs")
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.header("Content-Type"), "text/html; charset=utf-8")
        XCTAssertTrue(page.text.contains(#"<script src="/auth/docs/swagger-ui-bundle.js"></script>"#), page.text)
        XCTAssertTrue(page.text.contains(#"data-openapi="/auth/openapi.json""#))
        XCTAssertFalse(page.text.contains("//cdn") || page.text.contains("https://"), "nothing from elsewhere")
        let policy = try XCTUnwrap(page.header("Content-Security-Policy"))
        XCTAssertTrue(policy.hasPrefix("default-src 'none'; script-src 'self' 'sha256-"), policy)
        let scripts = policy.split(separator: ";").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("script-src") }
        XCTAssertFalse(scripts?.contains("unsafe") ?? true, "only the page's own script runs inline: \(policy)")
        for asset in ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "oauth2-redirect.html"] {
            XCTAssertEqual(try e.get("/auth/docs/" + asset).status, 200, asset)
        }
        let schema = try JSONSerialization.jsonObject(with: Data(try e.get("/auth/openapi.json").body)) as? [String: Any]
        let paths = try XCTUnwrap(schema?["paths"] as? [String: Any])
        XCTAssertNil(paths["/docs"], "the page is not part of the API's schema")
    }
}

/// nginx/demo-site.conf with its snippets written in (the sockets left as @SOCKET@ for the
/// harness), as run-dev writes them for `make run`.
enum DemoSite {
    /// What `make run` sets for the self-service screens: open registration, verification
    /// mailed at registration, mail as .eml files in <data_dir>/mail, links at this nginx.
    static let settings = [
        "registration": "open", "require_verified_email": "true", "mail_transport": "file",
        "mail_from": "gatehouse@localhost.localdomain", "public_url": "http://127.0.0.1:@PORT@",
    ]

    static func directives() throws -> String {
        let root = Harness.packageRoot.appendingPathComponent("nginx")
        var text = try String(contentsOf: root.appendingPathComponent("demo-site.conf"), encoding: .utf8)
        for snippet in ["auth-request.conf", "auth-request-signin.conf", "auth-request-throttle.conf"] {
            let body = try String(contentsOf: root.appendingPathComponent(snippet), encoding: .utf8)
                .replacingOccurrences(of: "/run/gatehouse/gatehouse.sock", with: "@SOCKET@")
            text = text.replacingOccurrences(of: "include @RUN@/\(snippet);", with: body)
        }
        guard !text.contains("include @RUN@") else { throw HarnessError("demo-site.conf includes a snippet DemoSite does not know") }
        return text.replacingOccurrences(of: "@WWW@", with: Harness.packageRoot.appendingPathComponent("www").path)
    }
}
