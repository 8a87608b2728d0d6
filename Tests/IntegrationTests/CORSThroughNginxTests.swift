import Foundation
import XCTest

/// Starlette's CORSMiddleware answers through nginx: preflights, credentialed requests,
/// and the headers on error answers. `cors_allow_headers = Authorization` because the
/// preflight asks for it; without it Starlette refuses ("Disallowed CORS headers").
final class CORSThroughNginxTests: E2ETestCase {
    override class var config: [String: String] {
        ["cors_allow_origins": "https://app.example.org", "cors_allow_credentials": "true", "cors_allow_headers": "Authorization"]
    }

    static let app = "https://app.example.org"
    static let preflightVary =
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"
    /// Headers nginx adds or rewrites on its own.
    static let nginxOwn: Set<String> = ["server", "date", "content-length", "connection", "transfer-encoding", "keep-alive"]

    /// Gatehouse's header fields in order, names lowercased, Content-Type aside (the
    /// FastCGI side writes it first; Starlette last: field order carries no meaning).
    func fields(_ r: HTTPResult) -> [String] {
        r.headers.filter { !Self.nginxOwn.contains($0.name.lowercased()) && $0.name.lowercased() != "content-type" }
            .map { "\($0.name.lowercased()): \($0.value)" }
    }

    func preflight(_ path: String, origin: String, method: String = "GET", headers: String? = "authorization") throws -> HTTPResult {
        var args = ["-X", "OPTIONS", "-H", "Origin: \(origin)", "-H", "Access-Control-Request-Method: \(method)"]
        if let headers { args += ["-H", "Access-Control-Request-Headers: \(headers)"] }
        return try e.curl(args + [e.url(path)])
    }

    func testPreflight() throws {
        for mount in ["/auth", ""] {
            let ok = try preflight(mount + "/users/me/", origin: Self.app)
            XCTAssertAnswer(ok, 200, "OK")
            XCTAssertEqual(fields(ok), [
                "vary: \(Self.preflightVary)", "access-control-allow-methods: GET", "access-control-max-age: 600",
                "access-control-allow-headers: Accept, Accept-Language, Authorization, Content-Language, Content-Type",
                "access-control-allow-credentials: true", "access-control-allow-origin: https://app.example.org",
            ])
            XCTAssertEqual(ok.header("content-type"), "text/plain; charset=utf-8")

            let evil = try preflight(mount + "/users/me/", origin: "https://evil.example")
            XCTAssertAnswer(evil, 400, "Disallowed CORS origin", [("access-control-allow-origin", nil)])
            XCTAssertEqual(evil.header("content-type"), "text/plain; charset=utf-8")

            XCTAssertAnswer(try preflight(mount + "/users/me/", origin: Self.app, headers: "authorization, x-nope"), 400,
                            "Disallowed CORS headers", [("access-control-allow-origin", Self.app)])
            XCTAssertAnswer(try preflight(mount + "/token", origin: Self.app, method: "POST", headers: nil), 400,
                            "Disallowed CORS method")
            XCTAssertAnswer(try preflight(mount + "/token", origin: "https://app.example.org.evil", method: "DELETE", headers: "x-nope"),
                            400, "Disallowed CORS origin, method, headers")
            // The preflight is answered before routing: any path, even one that does not exist.
            XCTAssertAnswer(try preflight(mount + "/no/such/path", origin: Self.app), 200, "OK")
            // An OPTIONS that is not a preflight is routed (405) and still gets the simple headers.
            let plain = try e.curl(["-X", "OPTIONS", "-H", "Origin: \(Self.app)", e.url(mount + "/users/me/")])
            XCTAssertAnswer(plain, 405, #"{"detail":"Method Not Allowed"}"#,
                            [("allow", "GET, PATCH"), ("access-control-allow-origin", Self.app), ("vary", "Origin")])
        }
    }

    func testCredentialedRequestsAndErrorsCarryTheHeaders() throws {
        let token = try e.token()
        let cors: [(String, String?)] = [
            ("access-control-allow-origin", Self.app), ("access-control-allow-credentials", "true"), ("vary", "Origin"),
        ]
        for mount in ["/auth", ""] {
            let origin = "Origin: \(Self.app)"
            XCTAssertAnswer(try e.get(mount + "/users/me/", [origin, "Authorization: Bearer \(token)"]), 200, E2E.johnMe, cors)
            XCTAssertAnswer(try e.get(mount + "/users/me/", [origin], ["-u", "johndoe:secret"]), 200, E2E.johnMe, cors)
            XCTAssertAnswer(try e.get(mount + "/users/me/", [origin]), 401, E2E.notAuthenticated, cors + [("www-authenticate", "Bearer")])
            XCTAssertAnswer(try e.get(mount + "/users/me/", [origin, "Authorization: Bearer nope"]), 401, E2E.couldNotValidate,
                            cors + [("www-authenticate", #"Bearer scope="me""#)])
            XCTAssertAnswer(try e.get(mount + "/no/such/path", [origin]), 404, #"{"detail":"Not Found"}"#, cors)
            XCTAssertAnswer(try e.curl(["-H", origin, "-d", "username=johndoe", e.url(mount + "/token")]), 422,
                            #"{"detail":[{"type":"missing","loc":["body","password"],"msg":"Field required","input":null}]}"#, cors)
            let login = try e.curl(["-H", origin, "-d", "username=johndoe&password=secret&scope=me", e.url(mount + "/token")])
            XCTAssertEqual(login.status, 200)
            XCTAssertEqual(login.header("access-control-allow-origin"), Self.app)
            XCTAssertEqual(login.header("cache-control"), "no-store")
            // The slash redirect, too.
            XCTAssertAnswer(try e.get(mount + "/users/me", [origin]), 307, "", cors)

            // Another origin: same answer, no Allow-Origin, but it still varies by Origin.
            let other = try e.get(mount + "/users/me/", ["Origin: https://evil.example", "Authorization: Bearer \(token)"])
            XCTAssertAnswer(other, 200, E2E.johnMe, [("access-control-allow-origin", nil), ("vary", "Origin"),
                                                     ("access-control-allow-credentials", "true")])
            // No Origin: no CORS headers, Vary: Origin only.
            XCTAssertAnswer(try e.bearer(mount + "/users/me/", token), 200, E2E.johnMe,
                            [("access-control-allow-origin", nil), ("access-control-allow-credentials", nil), ("vary", "Origin")])
        }
    }
}
