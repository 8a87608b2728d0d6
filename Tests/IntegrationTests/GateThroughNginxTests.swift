import Foundation
import XCTest

/// The gate through nginx: the rule written in the protected location, the identity handed
/// to the upstream, and the signed assertion an upstream verifies with the published JWKS.
final class GateThroughNginxTests: XCTestCase {
    var e: E2E!
    var www = ""

    override func setUpWithError() throws {
        www = FileManager.default.temporaryDirectory.appendingPathComponent("gh-gate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: www, withIntermediateDirectories: true)
        try "report\n".write(toFile: www + "/r.txt", atomically: true, encoding: .utf8)
        chmod(www, 0o755)
        chmod(www + "/r.txt", 0o644)
        let shipped = try String(contentsOf: Harness.packageRoot.appendingPathComponent("nginx/auth-request.conf"), encoding: .utf8)
            .replacingOccurrences(of: "/run/gatehouse/gatehouse.sock", with: "@SOCKET@")
        func location(_ path: String, rule: String?) -> String {
            """
            location \(path) {
                \(rule.map { "set $gatehouse_require \"\($0)\";" } ?? "")
                auth_request /_gatehouse/check;
                auth_request_set $gh_user $upstream_http_x_gatehouse_user;
                auth_request_set $gh_id $upstream_http_x_gatehouse_user_id;
                auth_request_set $gh_email $upstream_http_x_gatehouse_email;
                auth_request_set $gh_roles $upstream_http_x_gatehouse_roles;
                auth_request_set $gh_session $upstream_http_x_gatehouse_session;
                auth_request_set $gh_assertion $upstream_http_x_gatehouse_assertion;
                add_header X-Upstream-User $gh_user always;
                add_header X-Upstream-Id $gh_id always;
                add_header X-Upstream-Email $gh_email always;
                add_header X-Upstream-Roles $gh_roles always;
                add_header X-Upstream-Session $gh_session always;
                add_header X-Upstream-Assertion $gh_assertion always;
                alias \(www)/;
            }
            """
        }
        let signin = try String(contentsOf: Harness.packageRoot.appendingPathComponent("nginx/auth-request-signin.conf"), encoding: .utf8)
        let browser = """
            location /browser/ {
                set $gatehouse_require "";
                auth_request /_gatehouse/check;
                \(signin)
                alias \(www)/;
            }
            """
        let locations = [browser,
            location("/open/", rule: nil), location("/items/", rule: "scope=items"),
            location("/editors/", rule: "role=editor,auditor"), location("/typo/", rule: "rolle=editor"),
            location("/john/", rule: "user=JohnDoe&scope=me"),
        ].joined(separator: "\n")
        e = try E2E(config: ["identity_assertion": "true"], nginxServerDirectives: shipped + locations)
        try e.cli(["role", "add", "editor", "--permissions", "pages:write"])
        try e.cli(["user", "grant-role", "johndoe", "editor"])
    }

    override func tearDownWithError() throws {
        e?.stop()
        try? FileManager.default.removeItem(atPath: www)
    }

    func testTheRuleIsWrittenInTheProtectedLocation() throws {
        let me = try e.token(scope: "me")
        let items = try e.token(scope: "me items")
        XCTAssertEqual(try e.bearer("/open/r.txt", me).status, 200)
        XCTAssertEqual(try e.bearer("/items/r.txt", me).status, 403)
        XCTAssertEqual(try e.bearer("/items/r.txt", items).status, 200)
        XCTAssertEqual(try e.bearer("/editors/r.txt", me).status, 200, "johndoe is an editor")
        XCTAssertEqual(try e.get("/editors/r.txt", [], ["-u", "root:rootpass"]).status, 403, "root is neither")
        XCTAssertEqual(try e.bearer("/typo/r.txt", me).status, 403, "an unknown rule denies")
        XCTAssertEqual(try e.bearer("/john/r.txt", me).status, 200)
        XCTAssertEqual(try e.get("/john/r.txt", [], ["-u", "root:rootpass"]).status, 403)
        XCTAssertEqual(try e.get("/open/r.txt").status, 401)
        XCTAssertTrue(e.h.serverLog().contains("unknown rule 'rolle'"), "logged by name")
    }

    func testABrowserSignsInWithTheCookieAndComesBack() throws {
        let jar = e.h.dir + "/cookies"
        let page = "/browser/r.txt?x=1&y=2"
        let away = try e.get(page, ["Accept: text/html,application/xhtml+xml"])
        XCTAssertEqual(away.status, 302)
        XCTAssertEqual(away.header("location"), e.url("/auth/login?rd=" + page))
        let api = try e.get(page, ["Accept: application/json"])
        XCTAssertEqual(api.status, 401, "an API client keeps its 401")
        XCTAssertEqual(api.header("www-authenticate"), "Bearer")
        let form = try e.get("/auth/login?rd=" + page)
        XCTAssertEqual(form.status, 200)
        XCTAssertTrue(form.text.contains(#"name="rd" value="/browser/r.txt?x=1&amp;y=2""#), form.text)
        let wrong = try e.curl(["-c", jar, "--data-urlencode", "username=johndoe", "--data-urlencode", "password=nope",
                                "--data-urlencode", "rd=" + page, e.url("/auth/login")])
        XCTAssertEqual(wrong.status, 401)
        let signedIn = try e.curl(["-c", jar, "-H", "Origin: \(e.h.baseURL)", "--data-urlencode", "username=johndoe",
                                   "--data-urlencode", "password=secret", "--data-urlencode", "rd=" + page, e.url("/auth/login")])
        XCTAssertEqual(signedIn.status, 303, signedIn.text)
        XCTAssertEqual(signedIn.header("location"), page)
        let back = try e.curl(["-b", jar, "-H", "Accept: text/html", e.url(page)])
        XCTAssertEqual(back.status, 200)
        XCTAssertEqual(back.text, "report\n")
        XCTAssertEqual(try e.curl(["-b", jar, e.url("/auth/logout"), "-X", "POST", "-H", "Origin: https://evil.example"]).status, 403)
        let out = try e.curl(["-b", jar, "-c", jar, "-X", "POST", "-H", "Origin: \(e.h.baseURL)", e.url("/auth/logout")])
        XCTAssertEqual(out.status, 303)
        XCTAssertEqual(out.header("location"), "/auth/login")
        XCTAssertEqual(try e.curl(["-b", jar, "-H", "Accept: text/html", e.url(page)]).status, 302, "signed out")
    }

    func testTheUpstreamLearnsWhoAndCanVerifyIt() throws {
        let token = try e.token(scope: "me")
        let r = try e.bearer("/open/r.txt", token)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.header("x-upstream-user"), "johndoe")
        XCTAssertEqual(r.header("x-upstream-email"), "johndoe@example.com")
        XCTAssertEqual(r.header("x-upstream-roles"), "editor")
        XCTAssertEqual(r.header("x-upstream-session"), try E2E.claims(token)["sid"] as? String)
        let assertion = try XCTUnwrap(r.header("x-upstream-assertion"))
        let script = """
            import json, sys, jwt
            client = jwt.PyJWKClient(sys.argv[1])
            token = sys.argv[2]
            key = client.get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=["EdDSA"], audience="upstream", issuer="gatehouse")
            json.dump({"claims": claims, "kid": key.key_id, "keys": len(client.get_jwk_set().keys)}, sys.stdout)
            """
        let path = e.h.dir + "/verify.py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let out = try TestPython.run([path, e.url("/auth/.well-known/jwks.json"), assertion])
        let verified = try XCTUnwrap(JSONSerialization.jsonObject(with: out) as? [String: Any])
        let claims = try XCTUnwrap(verified["claims"] as? [String: Any])
        XCTAssertEqual(claims["sub"] as? String, "johndoe")
        XCTAssertEqual(claims["roles"] as? [String], ["editor"])
        XCTAssertEqual(claims["scope"] as? String, "me")
        let exp = try XCTUnwrap(claims["exp"] as? Int), iat = try XCTUnwrap(claims["iat"] as? Int)
        XCTAssertLessThanOrEqual(exp - iat, 60)
        XCTAssertEqual(verified["keys"] as? Int, 1, "HS256 token keys are never published")
        var info = stat()
        XCTAssertEqual(stat(e.h.dir + "/data/identity_key.pem", &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
    }
}

/// The opt-in decision cache as the commented block in auth-request.conf sets it up: an
/// allowed decision is reused for the same credential, and never for another one or none.
final class DecisionCacheThroughNginxTests: XCTestCase {
    func testACachedDecisionServesOnlyTheSameCredential() throws {
        let www = FileManager.default.temporaryDirectory.appendingPathComponent("gh-cache-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: www, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: www) }
        try "page\n".write(toFile: www + "/p.txt", atomically: true, encoding: .utf8)
        chmod(www, 0o755)
        chmod(www + "/p.txt", 0o644)
        var shipped = try String(contentsOf: Harness.packageRoot.appendingPathComponent("nginx/auth-request.conf"), encoding: .utf8)
            .replacingOccurrences(of: "/run/gatehouse/gatehouse.sock", with: "@SOCKET@")
        for directive in ["fastcgi_cache gatehouse;", "fastcgi_cache_key", "fastcgi_cache_valid", "fastcgi_ignore_headers"] {
            shipped = shipped.replacingOccurrences(of: "# " + directive, with: directive)
        }
        let location = """
            location /cached/ {
                set $gatehouse_require "";
                auth_request /_gatehouse/check;
                alias \(www)/;
            }
            """
        let cacheDir = FileManager.default.temporaryDirectory.appendingPathComponent("gh-fcache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: cacheDir) }
        let e = try E2E(config: ["check_cache_seconds": "60"],
                        nginxHTTPDirectives: "fastcgi_cache_path \(cacheDir) keys_zone=gatehouse:1m;",
                        nginxServerDirectives: shipped + location)
        defer { e.stop() }
        let jar = e.h.dir + "/cookies"
        XCTAssertEqual(try e.curl(["-c", jar, "-d", "username=johndoe&password=secret", e.url("/auth/login")]).status, 303)
        XCTAssertEqual(try e.curl(["-b", jar, e.url("/cached/p.txt")]).status, 200)
        XCTAssertEqual(try e.curl(["-b", jar, e.url("/cached/p.txt")]).status, 200, "from the cache")
        XCTAssertEqual(try e.get("/cached/p.txt").status, 401, "no credential never gets the cached decision")
        XCTAssertEqual(try e.get("/cached/p.txt", ["Cookie: other=1"]).status, 401)
        let token = try e.token(scope: "me")
        XCTAssertEqual(try e.bearer("/cached/p.txt", token).status, 200)
        XCTAssertEqual(try e.bearer("/cached/p.txt", "junk").status, 401)
    }
}
