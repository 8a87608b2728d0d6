import Logging
import Synchronization
import XCTest
@testable import Gatehouse

/// Answers that must not be cached, bodies that must say what they are, hosts that must be
/// hosts, and log lines that cannot be forged.
final class HTTPHardeningTests: XCTestCase {
    var t: TestApp!
    override func setUpWithError() throws { t = try TestApp() }

    /// F16
    func testSecretsAndPersonalDataAreNeverCached() throws {
        let login = t.login()
        let token = "Bearer " + (try XCTUnwrap(JSON.parse(login.body)["access_token"]?.stringValue))
        let created = t.request("POST", "/users/me/api-keys", headers: [("Authorization", token), ("Content-Type", "application/json")],
                                body: #"{"name":"ci"}"#)
        XCTAssertEqual(created.status, 201)
        for r in [login, created, t.request("GET", "/users/me/", headers: [("Authorization", token)]),
                  t.request("GET", "/users/me/api-keys", headers: [("Authorization", token)])] {
            XCTAssertEqual(r.headers["cache-control"], "no-store")
            XCTAssertEqual(r.headers["pragma"], "no-cache")
        }
        XCTAssertNil(t.request("GET", "/health").headers["cache-control"])
    }

    /// F18: a key cannot list or revoke keys, not even with scope `me`.
    func testKeysAreManagedWithATokenOrAPasswordOnly() throws {
        let john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        let (record, key) = try APIKeys.issue(in: t.app.store, userID: john.id, name: "k", scopes: ["me"], expiresInDays: nil, now: t.now)
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("X-API-Key", key)]).status, 200)
        XCTAssertResponse(t.request("GET", "/users/me/api-keys", headers: [("X-API-Key", key)]), 401, #"{"detail":"Not authenticated"}"#,
                          headers: [("www-authenticate", "Bearer")])
        XCTAssertResponse(t.request("DELETE", "/users/me/api-keys/\(record.id)", headers: [("X-API-Key", key)]), 401,
                          #"{"detail":"Not authenticated"}"#)
        XCTAssertNil(try t.app.store.apiKey(id: record.id)?.revokedAt)
        XCTAssertEqual(t.request("GET", "/users/me/api-keys", headers: [("Authorization", TestApp.basic("johndoe", "secret"))]).status, 200)
    }

    /// F21: a body without `Content-Type: application/json` is not JSON, so a cross-site
    /// "simple" request cannot reach a JSON route.
    func testJSONRoutesNeedAJSONContentType() throws {
        let basic = TestApp.basic("johndoe", "secret")
        XCTAssertResponse(t.request("POST", "/users/me/api-keys", headers: [("Authorization", basic)], body: #"{"name":"x"}"#), 422,
                          #"{"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":"{\"name\":\"x\"}"}]}"#)
        XCTAssertEqual(t.request("POST", "/users/me/api-keys", headers: [("Authorization", basic), ("Content-Type", "text/plain")],
                                 body: #"{"name":"x"}"#).status, 422)
        XCTAssertEqual(t.request("POST", "/users/me/api-keys", headers: [("Authorization", basic), ("Content-Type", "application/vnd.api+json")],
                                 body: #"{"name":"x"}"#).status, 201)
        XCTAssertTrue(try t.app.store.listAPIKeys(userID: 1).count == 1)
    }

    /// F11: the redirect's host is a host, or the server's own name.
    func testRedirectLocationNeverCarriesAForeignAuthority() {
        func location(_ host: String?) -> String? {
            var headers: [(String, String)] = []
            if let host { headers.append(("Host", host)) }
            let r = t.app.handle(Request(method: "GET", path: "/users/me", scriptName: "/auth", headers: Headers(headers),
                                         serverName: "auth.example.org", serverPort: "8443"))
            XCTAssertEqual(r.status, 307)
            return r.headers["location"]
        }
        XCTAssertEqual(location("site.example:8080"), "http://site.example:8080/auth/users/me/")
        XCTAssertEqual(location("[::1]:8080"), "http://[::1]:8080/auth/users/me/")
        for hostile in ["good.example@evil.example", "evil.example/x", "evil.example\\x", "a b", "evil.example:80x",
                        "evil.example:123456", "evil.example\u{7F}", "", "[::1", "evil.example,good.example", "ex%61mple.com"] {
            XCTAssertEqual(location(hostile), "http://auth.example.org:8443/auth/users/me/", hostile)
        }
        XCTAssertEqual(location(nil), "http://auth.example.org:8443/auth/users/me/")
    }

    /// F24: a form stops being read at the field limit.
    func testFormParsingStopsAtTheFieldLimit() {
        let many = Array(repeating: "a=1", count: 5000).joined(separator: "&")
        XCTAssertEqual(QueryParameters(parsing: many, maxPairs: 1001).pairs.count, 1001)
        XCTAssertResponse(t.request("POST", "/token", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: many), 400,
                          #"{"detail":"Too many fields. Maximum number of fields is 1000."}"#)
        XCTAssertEqual(QueryParameters(parsing: "a=1&&b=2&", maxPairs: 2).pairs.map(\.name), ["a", "b"])
    }

    /// F14: no control character from a request reaches a log line raw.
    func testLogLinesEscapeControlCharacters() {
        XCTAssertEqual(LogText.escaped("x\nFORGED\r\u{1B}[2J\u{85}\u{2028}ok"), "x\\u{a}FORGED\\u{d}\\u{1b}[2J\\u{85}\\u{2028}ok")
        XCTAssertEqual(LogText.escaped("plain: ünïcode"), "plain: ünïcode")
        let captured = CapturedLog()
        var logger = Logger(label: "test") { _ in EscapingLogHandler(captured) }
        logger[metadataKey: "user"] = "a\nb"
        logger.warning("rule 'x\nFORGED' denies", metadata: ["m": "c\rd"])
        XCTAssertEqual(captured.lines.withLock { $0 }, [#"rule 'x\u{a}FORGED' denies m=c\u{d}d user=a\u{a}b"#])
    }
}

/// A LogHandler that keeps what it is given, for tests.
final class CapturedLog: LogHandler, @unchecked Sendable {
    let lines = Mutex<[String]>([])
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let extra = metadata.merging(event.metadata ?? [:]) { $1 }.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        lines.withLock { $0.append("\(event.message)\(extra)") }
    }
}
