import XCTest
@testable import Gatehouse

/// Starlette 1.10's tests/middleware/test_cors.py, case by case, plus hostile input.
/// Every expected value was taken from Starlette 1.10 answering the same request.
final class CORSTests: XCTestCase {
    static let preflightVary =
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"
    static let safelisted = "Accept, Accept-Language, Content-Language, Content-Type"
    static let allMethods = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, QUERY"
    static let plain = ("content-type", "text/plain; charset=utf-8")

    // MARK: helpers

    /// A policy from `GATEHOUSE_CORS_*` settings, as the server reads them. Starlette's `*`
    /// with credentials needs Gatehouse's explicit opt-in, given here so that its rules can be compared.
    func policy(_ settings: [String: String]) throws -> CORSPolicy {
        var env: [String: String] = [:]
        for (key, value) in settings { env["GATEHOUSE_CORS_" + key.uppercased()] = value }
        if settings["allow_origins"]?.contains("*") == true && settings["allow_credentials"] == "true" {
            env["GATEHOUSE_CORS_REFLECT_ANY_ORIGIN_WITH_CREDENTIALS"] = "true"
        }
        return try CORSPolicy(config: Config.load(file: nil, environment: env))
    }

    func preflightRequest(origin: String, method: String = "GET", _ extra: [(String, String)] = []) -> Request {
        Request(
            method: "OPTIONS", path: "/",
            headers: Headers([("Origin", origin), ("Access-Control-Request-Method", method)] + extra))
    }

    func get(_ headers: [(String, String)], method: String = "GET") -> Request {
        Request(method: method, path: "/", headers: Headers(headers))
    }

    /// What the route answered, after the CORS layer.
    func simple(_ policy: CORSPolicy, _ request: Request, _ response: Response = .text("Homepage")) -> Response {
        XCTAssertNil(policy.preflight(request))
        var r = response
        policy.apply(to: &r, for: request)
        // Like Starlette over ASGI, the layer writes its header names in lowercase.
        for (name, _) in r.headers where name.lowercased().hasPrefix("access-control-") || name.lowercased() == "vary" {
            XCTAssertEqual(name, name.lowercased())
        }
        return r
    }

    func fields(_ r: Response) -> [String] { r.headers.map { "\($0.name): \($0.value)" } }

    /// Lowercased names to values; no field may appear twice.
    func dictionary(_ r: Response, file: StaticString = #filePath, line: UInt = #line) -> [String: String] {
        var d: [String: String] = [:]
        for (name, value) in r.headers {
            XCTAssertNil(d[name.lowercased()], "duplicate \(name)", file: file, line: line)
            d[name.lowercased()] = value
        }
        return d
    }

    func text(_ r: Response) -> String { String(decoding: r.body, as: UTF8.self) }

    // MARK: test_cors_allow_all

    func testAllowAllWithCredentials() throws {
        let p = try policy([
            "allow_origins": "*", "allow_headers": "*", "allow_methods": "*", "expose_headers": "X-Status",
            "allow_credentials": "true",
        ])
        let pre = try XCTUnwrap(
            p.preflight(preflightRequest(origin: "https://example.org", [("Access-Control-Request-Headers", "X-Example")])))
        XCTAssertEqual(pre.status, 200)
        XCTAssertEqual(text(pre), "OK")
        XCTAssertEqual(
            fields(pre),
            [
                "vary: \(Self.preflightVary)", "access-control-allow-methods: \(Self.allMethods)",
                "access-control-max-age: 600", "access-control-allow-credentials: true",
                "access-control-allow-origin: https://example.org", "access-control-allow-headers: X-Example",
                "content-type: text/plain; charset=utf-8",
            ])

        // Credentials allowed: the origin is echoed, never `*`.
        for extra in [[], [("Cookie", "star_cookie=sugar")], [("Authorization", "Some_token")]] {
            let r = simple(p, get([("Origin", "https://example.org")] + extra))
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(text(r), "Homepage")
            XCTAssertEqual(
                dictionary(r),
                [
                    "content-type": "text/plain; charset=utf-8", "access-control-allow-origin": "https://example.org",
                    "access-control-allow-credentials": "true", "access-control-expose-headers": "X-Status",
                    "vary": "Origin",
                ])
        }

        // No Origin: no CORS headers, but Starlette 1.10 still says the answer varies by Origin.
        let plain = simple(p, get([]))
        XCTAssertEqual(dictionary(plain), ["content-type": "text/plain; charset=utf-8", "vary": "Origin"])
        XCTAssertEqual(text(plain), "Homepage")
    }

    // MARK: test_cors_allow_all_except_credentials

    func testAllowAllExceptCredentials() throws {
        let p = try policy([
            "allow_origins": "*", "allow_headers": "*", "allow_methods": "*", "expose_headers": "X-Status",
        ])
        let pre = try XCTUnwrap(
            p.preflight(preflightRequest(origin: "https://example.org", [("Access-Control-Request-Headers", "X-Example")])))
        XCTAssertEqual(pre.status, 200)
        XCTAssertEqual(text(pre), "OK")
        XCTAssertEqual(
            fields(pre),
            [
                "vary: \(Self.preflightVary)", "access-control-allow-origin: *",
                "access-control-allow-methods: \(Self.allMethods)", "access-control-max-age: 600",
                "access-control-allow-headers: X-Example", "content-type: text/plain; charset=utf-8",
            ])

        // Allow-all headers and no requested headers: no Access-Control-Allow-Headers at all.
        let bare = try XCTUnwrap(p.preflight(preflightRequest(origin: "https://example.org")))
        XCTAssertEqual(bare.status, 200)
        XCTAssertNil(bare.headers["access-control-allow-headers"])

        // A cookie no longer turns `*` into the explicit origin (Starlette 1.10: only credentials do).
        for extra in [[], [("Cookie", "star_cookie=sugar")]] {
            let r = simple(p, get([("Origin", "https://example.org")] + extra))
            XCTAssertEqual(
                dictionary(r),
                [
                    "content-type": "text/plain; charset=utf-8", "access-control-allow-origin": "*",
                    "access-control-expose-headers": "X-Status", "vary": "Origin",
                ])
        }
    }

    // MARK: test_cors_allow_specific_origin

    func testAllowSpecificOrigin() throws {
        let p = try policy(["allow_origins": "https://example.org", "allow_headers": "X-Example, Content-Type"])
        let pre = try XCTUnwrap(
            p.preflight(
                preflightRequest(
                    origin: "https://example.org", [("Access-Control-Request-Headers", "X-Example, Content-Type")])))
        XCTAssertEqual(pre.status, 200)
        XCTAssertEqual(text(pre), "OK")
        XCTAssertEqual(
            fields(pre),
            [
                "vary: \(Self.preflightVary)", "access-control-allow-methods: GET", "access-control-max-age: 600",
                "access-control-allow-headers: \(Self.safelisted), X-Example",
                "access-control-allow-origin: https://example.org", "content-type: text/plain; charset=utf-8",
            ])

        XCTAssertEqual(
            dictionary(simple(p, get([("Origin", "https://example.org")]))),
            [
                "content-type": "text/plain; charset=utf-8", "access-control-allow-origin": "https://example.org",
                "vary": "Origin",
            ])
        // Another origin: the refusal is the missing Allow-Origin; the response itself is unchanged.
        let other = simple(p, get([("Origin", "https://another.org")]))
        XCTAssertEqual(other.status, 200)
        XCTAssertEqual(text(other), "Homepage")
        XCTAssertEqual(dictionary(other), ["content-type": "text/plain; charset=utf-8", "vary": "Origin"])
        // Origins compare exactly: no case folding, no trailing slash.
        XCTAssertNil(simple(p, get([("Origin", "https://EXAMPLE.org")])).headers["access-control-allow-origin"])
        XCTAssertNil(simple(p, get([("Origin", "https://example.org/")])).headers["access-control-allow-origin"])
    }

    // MARK: test_cors_disallowed_preflight

    func testDisallowedPreflightFailuresJoinInStarlettesOrder() throws {
        let p = try policy(["allow_origins": "https://example.org", "allow_headers": "X-Example"])
        let baseHeaders = [
            "vary: \(Self.preflightVary)", "access-control-allow-methods: GET", "access-control-max-age: 600",
            "access-control-allow-headers: \(Self.safelisted), X-Example",
        ]
        let cases: [(Request, String, Bool)] = [
            (
                preflightRequest(
                    origin: "https://another.org", method: "POST", [("Access-Control-Request-Headers", "X-Nope")]),
                "Disallowed CORS origin, method, headers", false
            ),
            (
                preflightRequest(
                    origin: "https://another.org", method: "POST",
                    [("Access-Control-Request-Headers", "X-Nope"), ("Access-Control-Request-Private-Network", "true")]),
                "Disallowed CORS origin, method, headers, private-network", false
            ),
            (preflightRequest(origin: "https://another.org"), "Disallowed CORS origin", false),
            (preflightRequest(origin: "https://example.org", method: "DELETE"), "Disallowed CORS method", true),
            // Methods compare exactly, as Starlette's `in` does.
            (preflightRequest(origin: "https://example.org", method: "get"), "Disallowed CORS method", true),
            // Several bad headers: "headers" once (encode/starlette#1199).
            (
                preflightRequest(
                    origin: "https://example.org", [("Access-Control-Request-Headers", "X-Nope-1, X-Nope-2")]),
                "Disallowed CORS headers", true
            ),
            // An empty item is a header name that is not allowed.
            (
                preflightRequest(origin: "https://example.org", [("Access-Control-Request-Headers", "X-Example,")]),
                "Disallowed CORS headers", true
            ),
            (
                preflightRequest(origin: "https://example.org", [("Access-Control-Request-Headers", "")]),
                "Disallowed CORS headers", true
            ),
        ]
        for (request, message, echoesOrigin) in cases {
            let r = try XCTUnwrap(p.preflight(request), message)
            XCTAssertEqual(r.status, 400, message)
            XCTAssertEqual(text(r), message)
            var expected = baseHeaders
            if echoesOrigin { expected.append("access-control-allow-origin: https://example.org") }
            expected.append("content-type: text/plain; charset=utf-8")
            XCTAssertEqual(fields(r), expected, message)
        }
    }

    func testRequestedHeadersCompareLowercasedAndTrimmed() throws {
        let p = try policy(["allow_origins": "https://example.org", "allow_headers": "X-Example"])
        let r = try XCTUnwrap(
            p.preflight(
                preflightRequest(
                    origin: "https://example.org",
                    [("Access-Control-Request-Headers", "x-example,\t ACCEPT ,content-type")])))
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(text(r), "OK")
    }

    func testAllowHeadersSortedByCodePointAfterAddingSafelisted() throws {
        let p = try policy([
            "allow_origins": "https://example.org", "allow_headers": "x-custom Authorization",
            "allow_methods": "GET, POST", "max_age": "3600",
        ])
        let r = try XCTUnwrap(p.preflight(preflightRequest(origin: "https://example.org", method: "POST")))
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(
            fields(r),
            [
                "vary: \(Self.preflightVary)", "access-control-allow-methods: GET, POST", "access-control-max-age: 3600",
                "access-control-allow-headers: Accept, Accept-Language, Authorization, Content-Language, Content-Type, x-custom",
                "access-control-allow-origin: https://example.org", "content-type: text/plain; charset=utf-8",
            ])
        let ok = try XCTUnwrap(
            p.preflight(
                preflightRequest(origin: "https://example.org", [("Access-Control-Request-Headers", "X-CUSTOM")])))
        XCTAssertEqual(ok.status, 200)
    }

    // MARK: test_preflight_allows_request_origin_if_origins_wildcard_and_credentials_allowed

    func testWildcardOriginWithCredentialsEchoesOriginInPreflight() throws {
        let p = try policy(["allow_origins": "*", "allow_methods": "POST", "allow_credentials": "true"])
        let r = try XCTUnwrap(p.preflight(preflightRequest(origin: "https://example.org", method: "POST")))
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(
            fields(r),
            [
                "vary: \(Self.preflightVary)", "access-control-allow-methods: POST", "access-control-max-age: 600",
                "access-control-allow-headers: \(Self.safelisted)", "access-control-allow-credentials: true",
                "access-control-allow-origin: https://example.org", "content-type: text/plain; charset=utf-8",
            ])
    }

    // MARK: test_cors_preflight_allow_all_methods / test_cors_allow_all_methods

    func testStarMethodsExpandToStarlettesListIncludingQuery() throws {
        let p = try policy(["allow_origins": "*", "allow_methods": "*"])
        for method in ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY"] {
            let r = try XCTUnwrap(p.preflight(preflightRequest(origin: "https://example.org", method: method)))
            XCTAssertEqual(r.status, 200, method)
            XCTAssertEqual(r.headers["access-control-allow-methods"], Self.allMethods)
            XCTAssertEqual(r.headers["access-control-allow-origin"], "*")
        }
        let unknown = try XCTUnwrap(p.preflight(preflightRequest(origin: "https://example.org", method: "TRACE")))
        XCTAssertEqual(text(unknown), "Disallowed CORS method")
        for method in ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"] {
            let r = simple(p, get([("Origin", "https://example.org")], method: method))
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.headers["access-control-allow-origin"], "*")
        }
    }

    // MARK: test_cors_allow_origin_regex

    func testAllowOriginRegex() throws {
        let p = try policy([
            "allow_headers": "X-Example, Content-Type", "allow_origin_regex": "https://.*", "allow_credentials": "true",
        ])
        XCTAssertTrue(p.isEnabled)
        for extra in [[], [("Cookie", "star_cookie=sugar")]] {
            XCTAssertEqual(
                dictionary(simple(p, get([("Origin", "https://example.org")] + extra))),
                [
                    "content-type": "text/plain; charset=utf-8", "access-control-allow-credentials": "true",
                    "access-control-allow-origin": "https://example.org", "vary": "Origin",
                ])
        }
        XCTAssertEqual(
            dictionary(simple(p, get([("Origin", "http://example.org")]))),
            ["content-type": "text/plain; charset=utf-8", "access-control-allow-credentials": "true", "vary": "Origin"])

        let pre = try XCTUnwrap(
            p.preflight(
                preflightRequest(
                    origin: "https://another.com", [("Access-Control-Request-Headers", "X-Example, content-type")])))
        XCTAssertEqual(pre.status, 200)
        XCTAssertEqual(
            fields(pre),
            [
                "vary: \(Self.preflightVary)", "access-control-allow-methods: GET", "access-control-max-age: 600",
                "access-control-allow-headers: \(Self.safelisted), X-Example", "access-control-allow-credentials: true",
                "access-control-allow-origin: https://another.com", "content-type: text/plain; charset=utf-8",
            ])

        let refused = try XCTUnwrap(
            p.preflight(
                preflightRequest(origin: "http://another.com", [("Access-Control-Request-Headers", "X-Example")])))
        XCTAssertEqual(refused.status, 400)
        XCTAssertEqual(text(refused), "Disallowed CORS origin")
        XCTAssertNil(refused.headers["access-control-allow-origin"])
        XCTAssertEqual(refused.headers["access-control-allow-credentials"], "true")
    }

    // MARK: test_cors_allow_origin_regex_fullmatch

    func testOriginRegexMustMatchTheWholeOrigin() throws {
        let p = try policy(["allow_origin_regex": #"https://.*\.example\.org"#])
        XCTAssertEqual(
            dictionary(simple(p, get([("Origin", "https://subdomain.example.org")]))),
            [
                "content-type": "text/plain; charset=utf-8",
                "access-control-allow-origin": "https://subdomain.example.org", "vary": "Origin",
            ])
        for hostile in [
            "https://evil.example.org.attacker.com", "https://example.org", "xhttps://a.example.org",
            "https://a.example.org:443", "https://a.example.org/", " https://a.example.org",
        ] {
            let r = simple(p, get([("Origin", hostile)]))
            XCTAssertEqual(
                dictionary(r), ["content-type": "text/plain; charset=utf-8", "vary": "Origin"], hostile)
        }
        let pre = try XCTUnwrap(p.preflight(preflightRequest(origin: "https://evil.example.org.attacker.com")))
        XCTAssertEqual(text(pre), "Disallowed CORS origin")
    }

    func testRegexAlternationIsAFullMatchNotAPrefixMatch() throws {
        // re.fullmatch("a|ab", "ab") matches: the second alternative spans the whole input.
        let p = try policy(["allow_origin_regex": "https://a|https://ab"])
        XCTAssertEqual(simple(p, get([("Origin", "https://ab")])).headers["access-control-allow-origin"], "https://ab")
        XCTAssertNil(simple(p, get([("Origin", "https://abc")])).headers["access-control-allow-origin"])
    }

    func testRegexAndListTogether() throws {
        let p = try policy([
            "allow_origins": "https://app.example.com", "allow_origin_regex": #"https://[a-z]+\.preview\.example\.com"#,
        ])
        XCTAssertNotNil(simple(p, get([("Origin", "https://app.example.com")])).headers["access-control-allow-origin"])
        XCTAssertNotNil(
            simple(p, get([("Origin", "https://pr.preview.example.com")])).headers["access-control-allow-origin"])
        XCTAssertNil(
            simple(p, get([("Origin", "https://pr1.preview.example.com")])).headers["access-control-allow-origin"])
    }

    func testBadRegexIsAConfigErrorNamingTheKey() {
        for pattern in ["https://(", "[z-a]", "*"] {
            XCTAssertThrowsError(try policy(["allow_origin_regex": pattern]), pattern) { error in
                XCTAssertTrue("\(error)".contains("cors_allow_origin_regex"), "\(error)")
            }
        }
    }

    // MARK: test_cors_credentialed_requests_return_specific_origin (1.10: credentials, not cookies)

    func testCookieWithoutCredentialsKeepsStar() throws {
        let p = try policy(["allow_origins": "*"])
        let r = simple(p, get([("Origin", "https://example.org"), ("Cookie", "star_cookie=sugar")]))
        XCTAssertEqual(
            dictionary(r),
            ["content-type": "text/plain; charset=utf-8", "access-control-allow-origin": "*", "vary": "Origin"])
    }

    // MARK: Vary (test_cors_vary_header_*)

    func testExistingVaryIsKeptAndExtended() throws {
        let p = try policy(["allow_origins": "https://example.org"])
        let withVary = Response.text("Homepage", headers: Headers([("Vary", "Accept-Encoding")]))
        XCTAssertEqual(simple(p, get([("Origin", "https://example.org")]), withVary).headers["vary"], "Accept-Encoding, Origin")
        // The same for a refused origin, for a request without Origin, and for `*`.
        XCTAssertEqual(simple(p, get([("Origin", "https://x.org")]), withVary).headers["vary"], "Accept-Encoding, Origin")
        XCTAssertEqual(simple(p, get([]), withVary).headers["vary"], "Accept-Encoding, Origin")
        let star = try policy(["allow_origins": "*"])
        XCTAssertEqual(simple(star, get([("Origin", "https://example.org")]), withVary).headers["vary"], "Accept-Encoding, Origin")

        // Several Vary fields become one; Origin is appended even when already listed, as Starlette does.
        let several = Response.text("x", headers: Headers([("Vary", "Accept-Encoding"), ("vary", "Origin")]))
        let r = simple(p, get([("Origin", "https://example.org")]), several)
        XCTAssertEqual(r.headers.values("vary"), ["Accept-Encoding, Origin, Origin"])
    }

    func testExposeHeadersAndMaxAge() throws {
        let p = try policy([
            "allow_origins": "https://example.org", "expose_headers": "X-Status, X-Request-Id", "max_age": "3600",
        ])
        let r = simple(p, get([("Origin", "https://example.org")]))
        XCTAssertEqual(
            dictionary(r),
            [
                "content-type": "text/plain; charset=utf-8", "access-control-expose-headers": "X-Status, X-Request-Id",
                "access-control-allow-origin": "https://example.org", "vary": "Origin",
            ])
        // Expose-Headers goes to any response with an Origin, even a refused one; never to a preflight.
        XCTAssertEqual(
            simple(p, get([("Origin", "https://x.org")])).headers["access-control-expose-headers"],
            "X-Status, X-Request-Id")
        let pre = try XCTUnwrap(p.preflight(preflightRequest(origin: "https://example.org")))
        XCTAssertEqual(pre.headers["access-control-max-age"], "3600")
        XCTAssertNil(pre.headers["access-control-expose-headers"])
        // Headers the route set are replaced, not doubled.
        let own = Response.text("x", headers: Headers([("Access-Control-Expose-Headers", "X-Own")]))
        XCTAssertEqual(
            simple(p, get([("Origin", "https://example.org")]), own).headers.values("access-control-expose-headers"),
            ["X-Status, X-Request-Id"])
    }

    // MARK: private network access

    func testPrivateNetworkRefusedByDefault() throws {
        let p = try policy(["allow_origins": "https://example.org"])
        for value in ["true", "false", ""] {
            let r = try XCTUnwrap(
                p.preflight(
                    preflightRequest(
                        origin: "https://example.org", [("Access-Control-Request-Private-Network", value)])))
            XCTAssertEqual(r.status, 400)
            XCTAssertEqual(text(r), "Disallowed CORS private-network")
            XCTAssertEqual(r.headers["access-control-allow-origin"], "https://example.org")
            XCTAssertNil(r.headers["access-control-allow-private-network"])
        }
    }

    func testPrivateNetworkAllowed() throws {
        let p = try policy(["allow_origins": "https://example.org", "allow_private_network": "true"])
        let r = try XCTUnwrap(
            p.preflight(
                preflightRequest(origin: "https://example.org", [("Access-Control-Request-Private-Network", "true")])))
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(
            fields(r),
            [
                "vary: \(Self.preflightVary)", "access-control-allow-methods: GET", "access-control-max-age: 600",
                "access-control-allow-headers: \(Self.safelisted)", "access-control-allow-origin: https://example.org",
                "access-control-allow-private-network: true", "content-type: text/plain; charset=utf-8",
            ])
        // Not asked for, not answered.
        let plain = try XCTUnwrap(p.preflight(preflightRequest(origin: "https://example.org")))
        XCTAssertNil(plain.headers["access-control-allow-private-network"])
    }

    // MARK: what is not a preflight

    func testOptionsWithoutBothHeadersIsNotAPreflight() throws {
        let p = try policy(["allow_origins": "*"])
        XCTAssertNil(p.preflight(get([("Origin", "https://example.org")], method: "OPTIONS")))
        XCTAssertNil(p.preflight(get([("Access-Control-Request-Method", "GET")], method: "OPTIONS")))
        XCTAssertNil(p.preflight(get([], method: "OPTIONS")))
        XCTAssertNil(
            p.preflight(
                get([("Origin", "https://example.org"), ("Access-Control-Request-Method", "GET")], method: "GET")))
        // Such an OPTIONS gets the simple-response headers on whatever the router answers.
        let r = simple(p, get([("Origin", "https://example.org")], method: "OPTIONS"), HTTPError.methodNotAllowed(allow: ["GET"]).response)
        XCTAssertEqual(r.status, 405)
        XCTAssertEqual(r.headers["access-control-allow-origin"], "*")
    }

    func testDisabledPolicyTouchesNothing() throws {
        let p = try policy([
            "allow_methods": "*", "allow_headers": "*", "allow_credentials": "true", "expose_headers": "X-Status",
        ])
        XCTAssertFalse(p.isEnabled)
        XCTAssertNil(p.preflight(preflightRequest(origin: "https://example.org")))
        let original = Response.text("Homepage", headers: Headers([("Vary", "Accept-Encoding")]))
        var r = original
        p.apply(to: &r, for: get([("Origin", "https://example.org")]))
        XCTAssertEqual(r.headers, original.headers)
        XCTAssertEqual(r.body, original.body)
    }

    // MARK: error responses get the headers too

    func testErrorResponsesGetCORSHeaders() throws {
        let p = try policy(["allow_origins": "https://app.example.org", "allow_credentials": "true"])
        let request = get([("Origin", "https://app.example.org"), ("Authorization", "Bearer nope")])
        let errors: [Response] = [
            HTTPError(401, "Not authenticated", headers: Headers([("WWW-Authenticate", "Bearer")])).response,
            HTTPError.notFound.response,
            HTTPError.validation([.missing("body", "username")]).response,
            Response.json(.object([("detail", .string("Inactive user"))]), status: 400),
        ]
        for original in errors {
            let r = simple(p, request, original)
            XCTAssertEqual(r.status, original.status)
            XCTAssertEqual(r.body, original.body)
            var expected = dictionary(original)
            expected["access-control-allow-origin"] = "https://app.example.org"
            expected["access-control-allow-credentials"] = "true"
            expected["vary"] = "Origin"
            XCTAssertEqual(dictionary(r), expected)
        }
        let unauthorized = simple(p, request, HTTPError(401, "Not authenticated", headers: Headers([("WWW-Authenticate", "Bearer")])).response)
        XCTAssertEqual(text(unauthorized), #"{"detail":"Not authenticated"}"#)
        XCTAssertEqual(unauthorized.headers["www-authenticate"], "Bearer")
    }

    // MARK: hostile origins

    func testNullOriginIsJustAString() throws {
        let listed = try policy(["allow_origins": "null"])
        let ok = try XCTUnwrap(listed.preflight(preflightRequest(origin: "null")))
        XCTAssertEqual(ok.status, 200)
        XCTAssertEqual(ok.headers["access-control-allow-origin"], "null")
        XCTAssertEqual(simple(listed, get([("Origin", "null")])).headers["access-control-allow-origin"], "null")

        let other = try policy(["allow_origins": "https://example.org"])
        let refused = try XCTUnwrap(other.preflight(preflightRequest(origin: "null")))
        XCTAssertEqual(refused.status, 400)
        XCTAssertEqual(text(refused), "Disallowed CORS origin")
        XCTAssertNil(simple(other, get([("Origin", "null")])).headers["access-control-allow-origin"])

        // Unlike Starlette, `*` does not stand for `null`: any page can send that.
        let star = try policy(["allow_origins": "*"])
        XCTAssertNil(simple(star, get([("Origin", "null")])).headers["access-control-allow-origin"])
    }

    func testEmptyLongAndControlCharacterOrigins() throws {
        let p = try policy(["allow_origins": "https://example.org", "allow_origin_regex": #"https://.*\.example\.org"#])
        // An empty Origin is present: a preflight, refused.
        let empty = try XCTUnwrap(p.preflight(preflightRequest(origin: "")))
        XCTAssertEqual(text(empty), "Disallowed CORS origin")

        let long = "https://" + String(repeating: "a", count: 100_000) + ".example.org"
        XCTAssertEqual(simple(p, get([("Origin", long)])).headers["access-control-allow-origin"], long)
        let longBad = "https://" + String(repeating: "a.", count: 50_000) + "example.org.evil"
        XCTAssertNil(simple(p, get([("Origin", longBad)])).headers["access-control-allow-origin"])

        // CR/LF/NUL never reach a response header: Headers drops them from values.
        let split = "https://example.org\r\nSet-Cookie: x=1"
        let r = simple(p, get([("Origin", split)]))
        XCTAssertNil(r.headers["access-control-allow-origin"])
        XCTAssertNil(r.headers["set-cookie"])
        let star = try policy(["allow_origins": "*", "allow_credentials": "true"])
        let echoed = simple(star, get([("Origin", split)]))
        XCTAssertEqual(echoed.headers["access-control-allow-origin"], "https://example.orgSet-Cookie: x=1")
        XCTAssertNil(echoed.headers["set-cookie"])
        let serialized = String(decoding: echoed.serialized(), as: UTF8.self)
        XCTAssertFalse(serialized.contains("\r\nSet-Cookie"))

        // Latin-1 bytes above ASCII are compared as they are.
        XCTAssertNil(simple(p, get([("Origin", "https://\u{E9}.example.org\u{FF}")])).headers["access-control-allow-origin"])
        XCTAssertEqual(
            simple(p, get([("Origin", "https://\u{E9}.example.org")])).headers["access-control-allow-origin"],
            "https://\u{E9}.example.org")
    }

    func testHostileRequestedHeadersNeverCrash() throws {
        let p = try policy(["allow_origins": "https://example.org", "allow_headers": "X-Example"])
        let cases: [(String, String)] = [
            (",", "Disallowed CORS headers"),
            (",,,", "Disallowed CORS headers"),
            (" ", "Disallowed CORS headers"),
            (String(repeating: "x-example,", count: 20_000) + "x-example", "OK"),
            (String(repeating: "x-example,", count: 20_000) + "x-nope", "Disallowed CORS headers"),
            // Python's str.strip() also trims NEL and NO-BREAK SPACE.
            ("\u{85}X-Example\u{A0}", "OK"),
            ("X-Example\u{1F}", "OK"),
        ]
        for (value, expected) in cases {
            let r = try XCTUnwrap(
                p.preflight(preflightRequest(origin: "https://example.org", [("Access-Control-Request-Headers", value)])))
            XCTAssertEqual(text(r), expected, String(value.prefix(40)))
            XCTAssertEqual(r.status, expected == "OK" ? 200 : 400)
        }
        // Allow-all mirrors the request's value, cleaned of CR/LF by Headers.
        let all = try policy(["allow_origins": "https://example.org", "allow_headers": "*"])
        let r = try XCTUnwrap(
            all.preflight(
                preflightRequest(origin: "https://example.org", [("Access-Control-Request-Headers", "X-A\r\nX-B: 1")])))
        XCTAssertEqual(r.headers["access-control-allow-headers"], "X-AX-B: 1")
    }
}
