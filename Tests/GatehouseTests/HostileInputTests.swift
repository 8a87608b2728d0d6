import Foundation
import XCTest
@testable import Gatehouse

/// A deterministic fuzz over `App.handle`: a few thousand hostile requests from a seeded
/// generator, each checked against invariants that hold for every answer (no 5xx, FastAPI's
/// error shape, no secret leaked, no header split, nothing changed by a refused request).
/// GH_TEST_FUZZ_ITERATIONS raises the count for a long campaign; GH_TEST_FUZZ_SEED changes the seed.
final class HostileInputTests: XCTestCase {
    static var iterations: Int {
        ProcessInfo.processInfo.environment["GH_TEST_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 2500
    }
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["GH_TEST_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x6A7E_4005_E000_0001
    }

    func testRandomRequestsWithoutCORS() throws {
        var fuzzer = try Fuzzer(TestApp(), seed: Self.seed)
        try fuzzer.run(iterations: Self.iterations)
    }

    func testRandomRequestsWithCredentialedCORS() throws {
        let t = try TestApp(["cors_allow_origins": "https://app.example.org", "cors_allow_credentials": "true"])
        var fuzzer = try Fuzzer(t, seed: Self.seed &+ 1)
        try fuzzer.run(iterations: Self.iterations)
    }

    // MARK: - Targeted cases

    func testBodyTooLargeIs413OnEveryPath() throws {
        let t = try TestApp(["cors_allow_origins": "https://app.example.org"])
        for (method, path) in [("POST", "/token"), ("GET", "/health"), ("PUT", "/nowhere"), ("POST", "/users/me/api-keys")] {
            var request = Request(method: method, path: path, headers: Headers([("Origin", "https://app.example.org")]))
            request.bodyTooLarge = true
            let r = t.app.handle(request)
            XCTAssertResponse(r, 413, #"{"detail":"Request body too large"}"#,
                              headers: [("access-control-allow-origin", "https://app.example.org")])
        }
    }

    func testMultipartWithTooManyPartsIs400() throws {
        let t = try TestApp()
        func multipart(parts: Int, filler: Int) -> Response {
            var body: [UInt8] = []
            let pad = String(repeating: "x", count: filler)
            for i in 0..<parts {
                body += Array("--B\r\nContent-Disposition: form-data; name=\"f\(i)\"\r\n\r\n\(pad)\r\n".utf8)
            }
            body += Array("--B--\r\n".utf8)
            return t.app.handle(Request(method: "POST", path: "/token", headers: Headers([
                ("Content-Type", "multipart/form-data; boundary=B"),
            ]), body: body))
        }
        let tooMany = multipart(parts: 1001, filler: 950)
        XCTAssertResponse(tooMany, 400, #"{"detail":"Too many fields. Maximum number of fields is 1000."}"#)
        // 1000 parts are allowed: the form is read and the fields the model needs are missing.
        let allowed = multipart(parts: 1000, filler: 10)
        XCTAssertEqual(allowed.status, 422)
        XCTAssert(String(decoding: allowed.body, as: UTF8.self).contains(#""loc":["body","username"]"#))
    }

    func testJSONNestedTenThousandDeepIs422() throws {
        let t = try TestApp()
        let token = "Bearer " + (try t.token())
        for body in [String(repeating: "[", count: 10_000), String(repeating: "{\"a\":", count: 10_000),
                     String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)] {
            let r = t.request("POST", "/users/me/api-keys", headers: [
                ("Authorization", token), ("Content-Type", "application/json"),
            ], body: body)
            XCTAssertEqual(r.status, 422)
            let detail = try XCTUnwrap(JSON.parse(r.body)["detail"]?.arrayValue?.first)
            XCTAssertEqual(detail["type"]?.stringValue, "json_invalid")
        }
    }

    func testHundredKilobyteHeaderValues() throws {
        let t = try TestApp(["cors_allow_origins": "https://app.example.org", "cors_allow_credentials": "true"])
        let huge = String(repeating: "A", count: 100_000)
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Authorization", "Bearer " + huge)]),
                          401, #"{"detail":"Could not validate credentials"}"#)
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Authorization", "Basic " + huge)]),
                          401, #"{"detail":"Not authenticated"}"#)
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("X-API-Key", "gh_" + huge)]),
                          401, #"{"detail":"Invalid API key"}"#)
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Cookie", "api_key=" + huge)]),
                          401, #"{"detail":"Invalid API key"}"#)
        let origin = t.request("GET", "/health", headers: [("Origin", "https://" + huge)])
        XCTAssertResponse(origin, 200, #"{"status":"ok"}"#, headers: [("vary", "Origin")])
        XCTAssertNil(origin.headers["access-control-allow-origin"])
        let preflight = t.request("OPTIONS", "/health", headers: [
            ("Origin", "https://app.example.org"), ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", huge),
        ])
        XCTAssertResponse(preflight, 400, "Disallowed CORS headers")
    }

    func testTokenOfExactlyMaxTokenLengthAndOneMore() throws {
        // Pad a claim until the token has the wanted length; base64url cannot hit every
        // length, so the limit is set to one that it can hit, and can hit plus one.
        let probe = try TestApp()
        // A fixed session id and jti keep every token of one padding the same length.
        func token(_ t: TestApp, padding: Int) -> String {
            t.app.keys.issue(claims: t.claims(for: "johndoe", scope: "me", overriding: [
                ("exp", .int(1_800_000_600)), ("jti", "fixed"), ("pad", .string(String(repeating: "p", count: padding))),
            ]))
        }
        var padding = 0
        while !(token(probe, padding: padding).utf8.count >= 1000
            && token(probe, padding: padding + 1).utf8.count == token(probe, padding: padding).utf8.count + 1) {
            padding += 1
        }
        let limit = token(probe, padding: padding).utf8.count
        let t = try TestApp(["max_token_length": String(limit)])
        let exact = token(t, padding: padding)
        let over = token(t, padding: padding + 1)
        XCTAssertEqual([exact.utf8.count, over.utf8.count], [limit, limit + 1])
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("Authorization", "Bearer " + exact)]).status, 200)
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Authorization", "Bearer " + over)]),
                          401, #"{"detail":"Could not validate credentials"}"#,
                          headers: [("www-authenticate", #"Bearer scope="me""#)])
        XCTAssertResponse(t.introspect(over), 200, #"{"active":false}"#)
    }

    func testNumbersBeyondDoubleComeBackAsNullInA422() throws {
        let t = try TestApp()
        let token = "Bearer " + (try t.token())
        func create(_ body: String) -> Response {
            t.request("POST", "/users/me/api-keys", headers: [("Authorization", token), ("Content-Type", "application/json")], body: body)
        }
        XCTAssertResponse(create(#"{"name":"k","expires_in_days":1e400}"#), 422, #"{"detail":[{"type":"int_from_float","loc":["body","expires_in_days"],"msg":"Input should be a valid integer, got a number with a fractional part","input":null}]}"#)
        XCTAssertResponse(create(#"{"name":-1e999}"#), 422, #"{"detail":[{"type":"string_type","loc":["body","name"],"msg":"Input should be a valid string","input":null}]}"#)
        XCTAssertEqual(JSON.double(.nan).text, "null")
        XCTAssertEqual(JSON.double(-0.0).text, "-0.0")
    }

    func testForgedTokensNeverGrantAdmin() throws {
        let t = try TestApp()
        let fixture = try Fixture(t)
        for (_, token) in fixture.forgedTokens {
            for (method, path) in [("GET", "/users/"), ("GET", "/users/1"), ("DELETE", "/users/1")] {
                let r = t.request(method, path, headers: [("Authorization", "Bearer " + token)])
                XCTAssert([401, 403].contains(r.status), "\(r.status) for \(token)")
            }
        }
        XCTAssertEqual(try t.app.store.countUsers(), 3)
    }
}

// MARK: - Generator

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, seedable, good enough to pick inputs.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    mutating func bytes(_ n: Int, from range: ClosedRange<UInt8> = 0...255) -> [UInt8] {
        (0..<n).map { _ in range.lowerBound &+ UInt8(truncatingIfNeeded: below(Int(range.upperBound - range.lowerBound) + 1)) }
    }
}

/// The users, keys and tokens the generator draws credentials from, and the secrets no answer may show.
struct Fixture {
    let realTokens: [(user: String, token: String)]
    /// Tokens that claim more than they grant: the user a valid one really stands for, or nil.
    let forgedTokens: [(user: String?, token: String)]
    let keys: [(user: String?, key: String)]
    var keyIDs: [String] { keys.compactMap { APIKeys.parse($0.key)?.id } + ["0123456789abcdef", "x"] }
    let secrets: [[UInt8]]

    init(_ t: TestApp) throws {
        let store = t.app.store
        try store.createRole(name: "admin", permissions: ["users:read", "users:write"], now: t.now)
        let root = try t.addUser("root", "rootpass", scopes: ["me", "items"])
        try store.grantRole(userID: root.id, role: "admin")
        let john = try XCTUnwrap(store.user(named: "johndoe"))
        let alice = try XCTUnwrap(store.user(named: "alice"))

        let exp = Int(t.now) + 1800
        func issue(_ sub: String, _ extra: [(String, JSON)] = []) -> String {
            t.app.keys.issue(claims: t.claims(for: sub, scope: "me items", overriding: [("exp", .int(exp))] + extra))
        }
        realTokens = [("johndoe", issue("johndoe")), ("alice", issue("alice")), ("root", issue("root"))]

        // Tokens that claim more than they are: role claims the server signed, and root's
        // identity under a key it never had or no signature at all.
        let johnToken = realTokens[0].token
        let parts = johnToken.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let rootPayload = Base64.urlEncode(JSON.object([("sub", "root"), ("scope", "me items"), ("exp", .int(exp))]).bytes)
        let wrongKey = Base64.urlEncode(LibCrypto.hmac(.sha256, key: Array("not-the-key".utf8), data: Array((parts[0] + "." + rootPayload).utf8)))
        let none = Base64.urlEncode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        forgedTokens = [
            ("johndoe", issue("johndoe", [("roles", .array(["admin"])), ("permissions", .array(["users:read", "users:write"]))])),
            ("johndoe", issue("johndoe", [("scope", "me items admin users:read users:write")])),
        ] + [
            parts[0] + "." + rootPayload + "." + parts[2],
            parts[0] + "." + rootPayload + "." + wrongKey,
            none + "." + rootPayload + ".",
            none + "." + rootPayload,
            parts[0] + "." + rootPayload,
            issue("nobody"), issue("johndoe", [("exp", .int(Int(t.now) - 1))]),
        ].map { (nil, $0) }

        var keys: [(String?, String)] = []
        var secrets: [[UInt8]] = [
            Array("$argon2".utf8), Array("$2b$".utf8), Array("test-secret-key-that-is-long-enough-0123456789".utf8),
        ]
        func addKey(_ user: User, scopes: [String], days: Int? = nil, revoke: Bool = false, live: Bool) throws {
            let (record, key) = try APIKeys.issue(in: store, userID: user.id, name: "k", scopes: scopes, expiresInDays: days, now: t.now - 86400 * 2)
            if revoke { _ = try store.revokeAPIKey(id: record.id, userID: user.id, now: t.now) }
            keys.append((live ? user.username : nil, key))
            let secret = try XCTUnwrap(APIKeys.parse(key)).secret
            secrets += [Array(secret.utf8), Array(LibCrypto.hex(record.secretHash).utf8),
                        Array(Base64.encode(record.secretHash).utf8), Array(Base64.urlEncode(record.secretHash).utf8)]
        }
        try addKey(john, scopes: ["me", "items"], live: true)
        try addKey(john, scopes: ["me"], revoke: true, live: false)
        try addKey(john, scopes: ["me"], days: 1, live: false)  // expired a day ago
        try addKey(alice, scopes: ["me"], live: false)  // alice is disabled
        try addKey(root, scopes: ["me", "users:read", "users:write"], live: true)
        self.keys = keys
        self.secrets = secrets
    }
}

/// A request and what the generator knows about it: which users' valid credentials it carries.
struct FuzzCase {
    var request: Request
    var principals: Set<String> = []
    var summary: String {
        let path = request.path.count > 120 ? String(request.path.prefix(120)) + "…" : request.path
        let headers = request.headers.map { "\($0.name): \($0.value.prefix(80))" }.joined(separator: " | ")
        if ProcessInfo.processInfo.environment["GH_TEST_FUZZ_VERBOSE"] != nil {
            return "\(principals.sorted()) \(request.method) \(request.path) ?\(request.rawQuery) \(request.headers.fields)"
        }
        return "\(principals.sorted()) \(request.method.prefix(20)) \(path) ?\(request.rawQuery.prefix(80)) [\(headers)] body \(request.body.count)B: \(String(decoding: request.body.prefix(120), as: UTF8.self))"
    }
}

struct Generator {
    var rng: SplitMix64
    let fixture: Fixture
    /// This request is well-formed but for its credentials and one or two details, so
    /// that the run reaches the handlers and not only the router and the security checks.
    var nearValid = false

    static let templates: [(method: String, path: String)] = [
        ("POST", "/token"), ("GET", "/users/me/"), ("GET", "/users/me/api-keys"), ("POST", "/users/me/api-keys"),
        ("DELETE", "/users/me/api-keys/{key}"), ("GET", "/users/"), ("GET", "/users/{int}"), ("PATCH", "/users/{int}"),
        ("DELETE", "/users/{int}"), ("GET", "/check"), ("POST", "/token/introspect"), ("GET", "/health"),
        ("POST", "/logout"), ("POST", "/revoke"), ("GET", "/login"), ("POST", "/login"), ("GET", "/users/me/sessions"), ("DELETE", "/users/me/sessions"),
        ("DELETE", "/users/me/sessions/{key}"),
        ("GET", "/openapi.json"), ("GET", "/users/me/items/"), ("GET", "/status/"), ("GET", "/"), ("GET", "/docs"),
    ]
    static let intParams = ["1", "2", "3", "4", "0", "-1", "1e3", "99999999999999999999999", "9223372036854775807",
                            "9223372036854775808", "007", "1.0", " 1", "%31", "١"]
    static let methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "get", "post", "Get", "",
                          "TRACE", "CONNECT", "G ET", "GET\0", "\u{FF}GET", String(repeating: "M", count: 5000)]

    mutating func next() -> FuzzCase {
        let template = rng.pick(Self.templates)
        nearValid = rng.chance(0.4)
        var method = nearValid || rng.chance(0.75) ? template.method : rng.pick(Self.methods)
        if rng.chance(0.02) { method = Latin1.string(rng.bytes(rng.below(12))) }
        var fuzz = FuzzCase(request: Request(method: method, path: path(template.path)))
        fuzz.request.rawQuery = query(&fuzz)
        let json = template.method == "POST" && template.path != "/token" || template.method == "PATCH"
        addHeaders(&fuzz, json: json, form: template.path == "/token")
        body(&fuzz, json: json)
        if rng.chance(0.01) { fuzz.request.bodyTooLarge = true }
        if rng.chance(0.05) { fuzz.request.scriptName = rng.pick(["/auth", "/a%20b", "/\u{E9}", "/x/"]) }
        return fuzz
    }

    // MARK: Paths

    mutating func path(_ template: String) -> String {
        var p = template
            .replacingOccurrences(of: "{int}", with: rng.pick(nearValid ? ["2", "4", "5", "99"] : Self.intParams))
            .replacingOccurrences(of: "{key}", with: nearValid ? rng.pick(fixture.keyIDs)
                : rng.chance(0.5) ? rng.pick(fixture.keys).key : Latin1.string(rng.bytes(rng.below(20) + 1)))
        var bytes = Array(p.utf8)
        for _ in 0..<(nearValid ? 0 : rng.pick([0, 1, 1, 1, 2, 4])) {
            let at = rng.below(bytes.count + 1)
            switch rng.below(11) {
            case 0: bytes.insert(contentsOf: Array("%2F".utf8), at: at)
            case 1: bytes.insert(contentsOf: Array(rng.pick(["%zz", "%", "%4", "%%", "%00", "%C3%28", "%FF"]).utf8), at: at)
            case 2: bytes.insert(contentsOf: Array(rng.pick(["//", "/../", "/./", "/.."]).utf8), at: at)
            case 3: bytes.insert(0, at: at)
            case 4: bytes.insert(contentsOf: rng.bytes(rng.below(4) + 1, from: 0x80...0xFF), at: at)
            case 5: bytes.insert(contentsOf: [UInt8](repeating: UInt8(ascii: "a"), count: 10_240), at: at)
            case 6: if bytes.last == UInt8(ascii: "/") { bytes.removeLast() } else { bytes.append(UInt8(ascii: "/")) }
            case 7: bytes = Array(String(decoding: bytes, as: UTF8.self).uppercased().utf8)
            case 8: if !bytes.isEmpty { bytes.remove(at: min(at, bytes.count - 1)) }
            case 9: bytes.insert(contentsOf: Array(rng.pick(["\r\n", "?", "#", ";", " ", "\t", "{user_id}"]).utf8), at: at)
            default: bytes.insert(contentsOf: Array(rng.pick(Self.intParams).utf8), at: at)
            }
        }
        p = Latin1.string(bytes)
        return p
    }

    // MARK: Query

    mutating func query(_ fuzz: inout FuzzCase) -> String {
        var parts: [String] = []
        for _ in 0..<rng.pick([0, 0, 0, 1, 2, 3]) {
            switch rng.below(9) {
            case 0: parts.append("offset=" + rng.pick(Self.intParams + ["", "-5", "abc"]))
            case 1: parts.append("limit=" + rng.pick(Self.intParams + ["100", "101", "1000", ""]))
            case 2: parts.append("limit=1&limit=1000&offset=0&offset=-1")
            case 3: parts.append(rng.pick(["scope=me", "scope=me+items", "scope=admin", "scope=%zz", "scope=%00", "scope="]))
            case 4:
                let key = rng.pick(fixture.keys)
                if let user = key.user, rng.chance(0.7) { fuzz.principals.insert(user); parts.append("api_key=" + key.key) } else {
                    parts.append("api_key=" + mutate(key.key))
                }
            case 5: parts.append(rng.pick(["%zz=%", "&&&", "==", "a=%C3%28", "%FF%FE=1", "+=+", "a"]))
            case 6: parts.append("x=" + String(repeating: "q", count: 50_000))
            case 7: parts.append(Latin1.string(rng.bytes(rng.below(30))))
            default: parts.append("api_key=")
            }
        }
        return parts.joined(separator: "&")
    }

    // MARK: Headers

    mutating func addHeaders(_ fuzz: inout FuzzCase, json: Bool, form: Bool) {
        var headers: [(String, String)] = []
        if nearValid && rng.chance(0.5) {
            let real = rng.pick(fixture.realTokens)
            if rng.chance(0.5) {
                fuzz.principals.insert(real.user)
                headers.append(("authorization", "Bearer " + real.token))
            } else {
                let (user, password) = rng.pick([("johndoe", "secret"), ("root", "rootpass"), ("alice", "secretalice")])
                fuzz.principals.insert(user)
                headers.append(("authorization", TestApp.basic(user, password)))
            }
        } else if rng.chance(0.7) {
            headers.append(("authorization", authorization(&fuzz)))
        }
        if nearValid && (json || form) {
            headers.append(("content-type", json ? "application/json" : "application/x-www-form-urlencoded"))
        }
        if rng.chance(0.25) {
            let key = rng.pick(fixture.keys)
            if let user = key.user, rng.chance(0.6) {
                fuzz.principals.insert(user)
                headers.append(("x-api-key", key.key))
            } else {
                headers.append(("x-api-key", rng.chance(0.5) ? mutate(key.key) : "gh_" + Base64.urlEncode(rng.bytes(rng.below(60)))))
            }
        }
        if rng.chance(0.2) {
            let key = rng.pick(fixture.keys)
            var value = rng.pick(["api_key=", "api_key=\"", "a=b; api_key=", "=; ;;", "api_key=\"\\\"", ""])
            if let user = key.user, rng.chance(0.5), value.hasSuffix("api_key=") {
                fuzz.principals.insert(user)
                value += key.key
            } else {
                value += Latin1.string(rng.bytes(rng.below(40)))
            }
            headers.append(("cookie", value))
        }
        if rng.chance(0.4) {
            headers.append(("origin", rng.pick([
                "https://app.example.org", "null", "https://app.example.org.evil", "HTTPS://APP.EXAMPLE.ORG",
                "https://app.example.org\r\nSet-Cookie: a=b", "https://app.example.org\0", "", " ",
                "https://" + String(repeating: "o", count: 20_000), "https://app.example.org/",
                Latin1.string([0x68, 0xFF, 0xFE, 0x0A, 0x0D]),
            ])))
            if rng.chance(0.3) {
                headers.append(("access-control-request-method", rng.pick(["GET", "POST", "get", "", "\r\n", "X"])))
                if rng.chance(0.5) {
                    headers.append(("access-control-request-headers", rng.pick(["authorization", "x-api-key, content-type", "", ",,,", "a\r\nb"])))
                }
            }
        }
        if !nearValid && rng.chance(0.6) {
            headers.append(("content-type", rng.pick([
                "application/x-www-form-urlencoded", "application/json", "multipart/form-data; boundary=XyZ",
                "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"a;b\"",
                "multipart/form-data; boundary=" + String(repeating: "b", count: 80), "text/plain", "application/vnd.api+json",
                "APPLICATION/JSON; charset=latin-1", "application/x-www-form-urlencoded; charset=\u{FF}", ";;;", "\"",
                "multipart/form-data; boundary=\u{E9}\u{E9}", "multipart/form-data; boundary=\"unterminated",
            ])))
        }
        if rng.chance(0.1) { headers.append(("host", rng.pick(["example.org", "evil\r\nx: y", "", String(repeating: "h", count: 5000)]))) }
        if rng.chance(0.1) {
            headers.append((Latin1.string(rng.bytes(rng.below(10) + 1, from: 0x21...0xFF)).lowercased(), Latin1.string(rng.bytes(rng.below(100)))))
        }
        for (name, value) in headers { fuzz.request.headers.add(name, value) }
    }

    mutating func authorization(_ fuzz: inout FuzzCase) -> String {
        let scheme = rng.pick(["Bearer", "bearer", "BEARER", "BeArEr", "Basic", "basic", "BASIC", "Digest", "Token", "", "Bearer\t"])
        let separator = rng.pick([" ", " ", " ", "  ", "", "\t", " \0"])
        // What the app sees once Headers has dropped the NUL: a space or two, or not.
        let spaced = [" ", "  "].contains(separator.replacingOccurrences(of: "\0", with: ""))
        let isBearer = scheme.lowercased() == "bearer" && spaced
        let isBasic = scheme.lowercased() == "basic" && spaced
        switch rng.below(6) {
        case 0, 1:
            let real = rng.pick(fixture.realTokens)
            if rng.chance(0.4) {
                if isBearer { fuzz.principals.insert(real.user) }
                return scheme + separator + real.token
            }
            return scheme + separator + mutate(rng.chance(0.5) ? real.token : rng.pick(fixture.forgedTokens).token)
        case 2:
            let forged = rng.pick(fixture.forgedTokens)
            if isBearer, let user = forged.user { fuzz.principals.insert(user) }
            return scheme + separator + forged.token
        case 3:
            let pairs = ["johndoe:secret", "root:rootpass", "alice:secretalice", "johndoe:wrong", "nobody:secret",
                         "johndoe", ":", "", "johndoe:secret:extra", "\u{E9}t\u{E9}:p\u{E4}ss", "root:", ":rootpass"]
            let pair = rng.pick(pairs)
            let mutated = rng.chance(0.3)
            if !mutated && isBasic {
                if pair == "johndoe:secret" { fuzz.principals.insert("johndoe") }
                if pair == "root:rootpass" { fuzz.principals.insert("root") }
                if pair == "alice:secretalice" { fuzz.principals.insert("alice") }
            }
            var encoded = Base64.encode(Array(pair.utf8))
            if mutated { encoded = mutate(encoded) }
            return scheme + separator + encoded
        case 4:
            return scheme + separator + rng.pick([
                Base64.encode(rng.bytes(rng.below(40))), Latin1.string(rng.bytes(rng.below(40))), "=", "====",
                "am9obmRvZTpzZWNyZXQ", "am9obmRvZTpzZWNyZXQ==", "am9obmRvZTpzZWNyZXQ=\u{1}", "eyJ.eyJ.",
                "..", ".", String(repeating: "A", count: rng.pick([8191, 8192, 8193, 70_000])),
            ])
        default:
            return Latin1.string(rng.bytes(rng.below(60)))
        }
    }

    /// A near miss: a byte flipped, a segment cut, dropped or swapped, something appended.
    mutating func mutate(_ s: String) -> String {
        var bytes = Array(s.utf8)
        guard !bytes.isEmpty else { return Latin1.string(rng.bytes(3)) }
        switch rng.below(7) {
        case 0:
            let i = rng.below(bytes.count)
            bytes[i] ^= UInt8(1 << rng.below(8))
        case 1: bytes = Array(bytes.prefix(rng.below(bytes.count)))
        case 2:
            var parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            if parts.count > 1 { parts.swapAt(0, rng.below(parts.count)); parts.remove(at: rng.below(parts.count)) }
            bytes = Array(parts.joined(separator: [UInt8(ascii: ".")]))
        case 3: bytes += Array(rng.pick([".", "=", "==", "\0", " x", "\u{FF}", "%"]).utf8)
        case 4: bytes.insert(contentsOf: rng.bytes(rng.below(5) + 1), at: rng.below(bytes.count))
        case 5: bytes = bytes.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: "+") : $0 == UInt8(ascii: "_") ? UInt8(ascii: "/") : $0 }
        default: bytes = Array(String(decoding: bytes, as: UTF8.self).uppercased().utf8)
        }
        // Headers drop NUL, CR and LF, which could undo the change.
        if bytes.filter({ $0 != 0 && $0 != 10 && $0 != 13 }) == Array(s.utf8) { bytes.append(UInt8(ascii: "!")) }
        // Header values reach the app as latin-1 text.
        return Latin1.string(bytes)
    }

    // MARK: Bodies

    mutating func body(_ fuzz: inout FuzzCase, json: Bool) {
        if nearValid && json {
            fuzz.request.body = Array(rng.pick([
                #"{"name":"k"}"#, #"{"name":"k","scopes":["me"],"expires_in_days":30}"#, #"{"name":"k","scopes":["items","me","me"]}"#,
                #"{"full_name":"X"}"#, #"{"disabled":false}"#, #"{"scopes":["me"]}"#, #"{"roles":[]}"#, #"{"email":null}"#,
                #"{"name":"\u0000\r\n"}"#, #"{"full_name":"\ud800"}"#, #"{"roles":["ghost"]}"#, #"{"password":"x"}"#,
                #"{"name":"k","expires_in_days":1e400}"#, #"{"name":-1e999}"#, #"{"full_name":1e400,"email":[1E+999]}"#,
                #"{"name":"k","expires_in_days":123456789012345678901234567890}"#, #"{"name":"k","scopes":[-0.0,1e-400]}"#,
            ]).utf8)
            return
        }
        if nearValid {
            fuzz.request.body = Array(rng.pick([
                "username=johndoe&password=secret&scope=me+items", "username=root&password=rootpass",
                "username=alice&password=secretalice&scope=me", "username=johndoe&password=secret&grant_type=password",
                "username=johndoe&password=secret&grant_type=refresh_token", "username=johndoe&password=secre",
            ]).utf8)
            return
        }
        guard rng.chance(0.7) else { return }
        switch rng.below(json ? 8 : 6) {
        case 0: fuzz.request.body = rng.bytes(rng.pick([1, 10, 300, 5000]))
        case 1:
            fuzz.request.body = Array(rng.pick([
                "username=johndoe&password=secret", "username=johndoe&password=wrong&scope=me+items+admin",
                "username=alice&password=secretalice", "username=%zz&password=%", "username=&password=",
                "grant_type=client_credentials&username=johndoe&password=secret", "username=johndoe&username=root&password=rootpass",
                "&&&===", "username=" + String(repeating: "u", count: 100_000) + "&password=x", "password=secret",
                "username=johndoe%00&password=secret", "username=%C3%28&password=%FF",
            ]).utf8)
            if rng.chance(0.2) { fuzz.request.body += [0xFF, 0xC3, 0x28] }
        case 2: fuzz.request.body = Array(String(repeating: "a=1&", count: rng.pick([999, 1000, 1001, 5000])).utf8)
        case 3: fuzz.request.body = multipart()
        case 4:
            var body = multipart()
            body = Array(body.prefix(rng.below(body.count + 1)))
            fuzz.request.body = body
        case 5: fuzz.request.body = Array(rng.pick(["{", "[", "\"", "null", "{}", "[]", "1e999999", "-", "\u{0}"]).utf8)
        default: fuzz.request.body = jsonBody()
        }
    }

    mutating func multipart() -> [UInt8] {
        let boundary = rng.pick(["XyZ", "a;b", "", String(repeating: "b", count: 80)])
        var body: [UInt8] = []
        if rng.chance(0.2) { body += Array("preamble\r\n".utf8) }
        for _ in 0..<rng.below(5) {
            body += Array("--\(boundary)\(rng.pick(["\r\n", "  \r\n", "\n", ""]))".utf8)
            let disposition = rng.pick([
                "Content-Disposition: form-data; name=\"username\"", "Content-Disposition: form-data; name=\"password\"",
                "Content-Disposition: form-data; name=\"f\"; filename=\"a\u{E9}.txt\"", "Content-Disposition: attachment",
                "Content-Disposition: form-data", "Content-Type: text/plain", "no colon here", "",
                "Content-Disposition: form-data; name=\"" + String(repeating: "n", count: 20_000) + "\"",
            ])
            body += Array(disposition.utf8) + Array(rng.pick(["\r\n\r\n", "\r\n", "\n\n", ""]).utf8)
            body += rng.chance(0.5) ? Array(rng.pick(["johndoe", "secret", "x"]).utf8) : rng.bytes(rng.below(50))
            body += Array("\r\n".utf8)
        }
        body += Array("--\(boundary)\(rng.pick(["--", "--\r\n", "", "-"]))".utf8)
        return body
    }

    mutating func jsonBody() -> [UInt8] {
        var members: [String] = []
        for _ in 0..<rng.below(4) {
            let key = rng.pick(["name", "scopes", "expires_in_days", "email", "full_name", "disabled", "roles", "password", "x", "name"])
            let value = rng.pick([
                "\"k\"", "\"\"", "null", "true", "1", "-1", "0", "3650", "3651", "1e3", "1.5", "99999999999999999999999",
                "-9223372036854775809", "1e400", "[\"me\"]", "[\"me\",\"items\",\"admin\"]", "[\"users:write\"]", "[1,2]",
                "[\"ghost\"]", "{}", "\"\\ud800\"", "\"\\u0000\"", "\"a\\r\\nb\"", "\"" + String(repeating: "s", count: 2000) + "\"",
                String(repeating: "[", count: 70) + String(repeating: "]", count: 70), "\"\u{FF}\"",
            ])
            members.append("\"\(key)\":\(value)")
        }
        var bytes = Array(("{" + members.joined(separator: ",") + "}").utf8)
        switch rng.below(5) {
        case 0: bytes = Array(bytes.prefix(rng.below(bytes.count + 1)))
        case 1: bytes.insert(rng.pick([0xFF, 0xC0, 0x00, 0xED]), at: rng.below(bytes.count + 1))
        default: break
        }
        return bytes
    }
}

// MARK: - Invariants

struct Fuzzer {
    let t: TestApp
    let fixture: Fixture
    var generator: Generator

    init(_ t: TestApp, seed: UInt64) throws {
        self.t = t
        fixture = try Fixture(t)
        generator = Generator(rng: SplitMix64(seed: seed), fixture: fixture)
    }

    static let common: Set<Int> = [401, 403]

    /// The statuses a matched route may answer, by its name.
    static let routeStatuses: [String: Set<Int>] = [
        "login_for_access_token": [200, 400, 422],
        "read_users_me": [200, 400, 401, 403],
        "list_api_keys": [200, 400, 401, 403],
        "create_api_key": [201, 400, 401, 403, 422],
        "revoke_api_key": [204, 400, 401, 403, 404],
        "list_users": [200, 400, 401, 403, 422],
        "read_user": [200, 400, 401, 403, 404, 422],
        "update_user": [200, 400, 401, 403, 404, 422],
        "delete_user": [204, 400, 401, 403, 404, 422],
        "check": [204, 401, 403],  // all nginx's auth_request understands
        "introspect_token": [200, 400, 401, 403, 422],
        "logout": [204, 400, 401],
        "revoke_token": [200, 400, 422],
        "list_sessions": [200, 400, 401, 403],
        "end_other_sessions": [204, 400, 401, 403],
        "end_session": [204, 400, 401, 403, 404],
        "health": [200], "openapi": [200], "jwks": [200], "swagger_ui_html": [200],
        "sign_in_page": [200, 422], "sign_in": [303, 400, 401, 403, 422, 429],
        "read_own_items": [200, 400, 401, 403],
        "read_system_status": [200, 401, 403],
    ]
    static let adminRoutes: Set<String> = ["list_users", "read_user", "update_user", "delete_user"]
    static let publicRoutes: Set<String> = ["login_for_access_token", "health", "openapi", "revoke_token", "jwks", "sign_in_page",
                                            "sign_in", "swagger_ui_html"]

    mutating func run(iterations: Int) throws {
        let started = Date()
        var seen: [String: Int] = [:]
        for i in 0..<iterations {
            let fuzz = generator.next()
            let (route, status) = try check(fuzz, index: i)
            seen["\(route ?? "-") \(status)", default: 0] += 1
        }
        print("HostileInputTests: \(iterations) requests in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        print(seen.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        // The generator must reach past the security checks, or the run proves little.
        for wanted in ["login_for_access_token 200", "read_users_me 200", "create_api_key 201", "create_api_key 422",
                       "list_users 200", "check 204", "read_own_items 200"] where iterations >= 1000 {
            XCTAssertNotNil(seen[wanted], "no request reached \(wanted)")
        }
    }

    func users() throws -> [User] { try t.app.store.listUsers(offset: 0, limit: 1000) }

    @discardableResult
    func check(_ fuzz: FuzzCase, index: Int) throws -> (route: String?, status: Int) {
        let request = fuzz.request
        let before = try users()
        let clock = Date()
        let r = t.app.handle(request)
        let elapsed = Date().timeIntervalSince(clock)
        let after = try users()
        let what = "#\(index) → \(r.status) \(String(decoding: r.body.prefix(200), as: UTF8.self))\n  \(fuzz.summary)"

        XCTAssertLessThan(elapsed, 5, "slow: \(what)")
        XCTAssertLessThan(r.status, 500, what)

        // Which statuses, and which successes, this request may get.
        let valid = (fuzz.principals.compactMap { name in before.first { $0.username == name } })
        let active = valid.filter { !$0.disabled }
        let admin = active.filter { $0.roles.contains("admin") }
        var allowed: Set<Int>
        var route: String?
        let cors = t.app.cors.isEnabled
        if cors && request.method == "OPTIONS" && request.headers["origin"] != nil
            && request.headers["access-control-request-method"] != nil {
            allowed = [200, 400]
            XCTAssertEqual(r.headers["content-type"], "text/plain; charset=utf-8", what)
        } else if request.bodyTooLarge {
            allowed = [413]
        } else {
            switch t.app.router.decide(method: request.method, path: request.path) {
            case .notFound: allowed = [404]
            case .methodNotAllowed: allowed = [405]
            case .redirect:
                allowed = [307]
                XCTAssertNotNil(r.headers["location"], what)
            case let .matched(matched, _):
                route = matched.name
                allowed = Self.routeStatuses[matched.name] ?? []
            }
        }
        XCTAssert(allowed.contains(r.status), "unexpected status for \(route ?? "-"): \(what)")

        if let route, (200..<300).contains(r.status), !Self.publicRoutes.contains(route) {
            XCTAssertFalse(valid.isEmpty, "success without a valid credential: \(what)")
            if route != "read_system_status" && route != "logout" {  // an inactive user may end their own session
                XCTAssertFalse(active.isEmpty, "success for an inactive user: \(what)")
            }
            if Self.adminRoutes.contains(route) { XCTAssertFalse(admin.isEmpty, "admin success without admin: \(what)") }
        }
        if route == "introspect_token", r.body.starts(with: Array(#"{"active":true"#.utf8)) {
            XCTAssertFalse(active.isEmpty, "active introspection of a forged token: \(what)")
        }
        if r.status >= 400 || admin.isEmpty && route != "login_for_access_token" {
            XCTAssertEqual(before, after, "users changed: \(what)")
        }

        // The answer's form.
        for (name, value) in r.headers {
            XCTAssertFalse((name + value).utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 }, "header \(name) split: \(what)")
        }
        if r.status == 204 || r.status == 307 || r.status == 303 { XCTAssert(r.body.isEmpty, what) }
        if r.headers["content-type"] == "application/json" {
            do {
                let body = try JSON.parse(r.body)
                if r.status >= 400, route == "login_for_access_token", body["error"] != nil {
                    // The refresh grant answers RFC 6749 §5.2's shape.
                    XCTAssertEqual(body.objectValue?.map(\.0), ["error", "error_description"], what)
                } else if r.status >= 400 {
                    guard case let .object(members) = body, members.count == 1, members[0].0 == "detail" else {
                        XCTFail("not FastAPI's error shape: \(what)")
                        return (route, r.status)
                    }
                    if case .string = members[0].1 {} else if case .array = members[0].1 {} else {
                        XCTFail("detail neither text nor a list: \(what)")
                    }
                    if r.status == 422 { XCTAssertNotNil(body["detail"]?.arrayValue, what) }
                } else if route == "list_users" || route == "list_api_keys" || route == "read_own_items" || route == "list_sessions" {
                    XCTAssertNotNil(body.arrayValue, what)
                } else if route == "login_for_access_token" {
                    XCTAssertNotNil(body["access_token"]?.stringValue, what)
                    XCTAssertEqual(body["token_type"]?.stringValue, "bearer", what)
                } else if case .object = body {} else {
                    XCTFail("success body not an object: \(what)")
                }
            } catch {
                XCTFail("body is not JSON: \(what)")
            }
        } else if r.status >= 400 && allowed != [200, 400] {
            XCTFail("error without a JSON body: \(what)")
        }

        // Nothing secret, in the body or the headers; what the request itself carries may
        // come back (a redirect keeps the query, a 422 shows its input), as with FastAPI.
        let headerBytes = r.headers.flatMap { Array(($0.name + ": " + $0.value).utf8) }
        let sent = Array((request.path + request.rawQuery).utf8) + request.headers.flatMap { Array($0.value.utf8) } + request.body
        for secret in fixture.secrets where !contains(sent, secret) {
            XCTAssertFalse(contains(r.body, secret) || contains(headerBytes, secret),
                           "leaks \(String(decoding: secret, as: UTF8.self)): \(what)")
        }
        return (route, r.status)
    }

    func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        Multipart.find(needle, in: hay, from: 0) != nil
    }
}
