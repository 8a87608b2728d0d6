import Foundation
import XCTest

/// A harness seeded through the CLI the way an operator would, with curl shortcuts that
/// remember every answer so a suite can check that none of them leaks a hash or a secret.
///
/// Seeded: johndoe / secret (me, items), alice / secretalice (me, items, disabled),
/// role admin (users:read, users:write) and root / rootpass (me) holding it.
final class E2E {
    static let settings = [
        "demo": "true", "argon2_memory_kib": "1024", "argon2_time_cost": "1", "argon2_parallelism": "1",
        "password_min_length": "6",
        // Off unless a suite sets them: others send many wrong credentials from 127.0.0.1 on purpose.
        "throttle_address_max_failures": "0", "throttle_user_max_failures": "0",
    ]
    static let johnMe = #"{"username":"johndoe","email":"johndoe@example.com","full_name":"John Doe","disabled":false}"#
    static let notAuthenticated = #"{"detail":"Not authenticated"}"#
    static let couldNotValidate = #"{"detail":"Could not validate credentials"}"#
    static let notEnoughPermissions = #"{"detail":"Not enough permissions"}"#
    static let inactiveUser = #"{"detail":"Inactive user"}"#
    static let incorrectLogin = #"{"detail":"Incorrect username or password"}"#
    static let invalidAPIKey = #"{"detail":"Invalid API key"}"#

    let h: Harness
    /// Every answer since the last `assertNoLeaks`.
    private(set) var answers: [(what: String, result: HTTPResult)] = []
    /// Strings no answer may contain besides `$argon2` (API key secrets, passwords).
    var secrets: [String] = []

    init(config: [String: String] = [:], nginxHTTPDirectives: String = "", nginxServerDirectives: String = "",
         mountAtRoot: Bool = true, swaggerUI: String = Harness.swaggerUI) throws {
        h = try Harness.start(config: E2E.settings.merging(config) { $1 }, nginxHTTPDirectives: nginxHTTPDirectives,
                              nginxServerDirectives: nginxServerDirectives, mountAtRoot: mountAtRoot, swaggerUI: swaggerUI)
        do {
            try addUser("johndoe", "secret", scopes: "me,items", fullName: "John Doe", email: "johndoe@example.com")
            try addUser("alice", "secretalice", scopes: "me,items", fullName: "Alice Chains", email: "alicechains@example.com")
            try cli(["user", "disable", "alice"])
            try cli(["role", "add", "admin", "--permissions", "users:read,users:write"])
            try addUser("root", "rootpass", scopes: "me")
            try cli(["user", "grant-role", "root", "admin"])
        } catch {
            h.stop()
            throw error
        }
    }

    func stop() { h.stop() }
    func url(_ path: String) -> String { h.url(path) }

    // MARK: the command

    /// Runs `gatehouse args…` against the harness's config; a non-zero exit throws.
    @discardableResult
    func cli(_ args: [String], stdin: String = "") throws -> ProcessOutput {
        let out = try h.gatehouse(args, stdin: Array(stdin.utf8))
        guard out.status == 0 else { throw HarnessError("gatehouse \(args) exited \(out.status): \(out.stderr)") }
        return out
    }

    /// `gatehouse user add` with the password on standard input; returns the new id.
    @discardableResult
    func addUser(_ name: String, _ password: String, scopes: String, fullName: String? = nil, email: String? = nil) throws -> Int {
        var args = ["user", "add", name, "--scopes", scopes, "--password-stdin"]
        if let fullName { args += ["--full-name", fullName] }
        if let email { args += ["--email", email] }
        let out = try cli(args, stdin: password + "\n")
        // "created user 'NAME' (id N)"
        guard let open = out.text.range(of: "(id "), let close = out.text.range(of: ")", range: open.upperBound..<out.text.endIndex),
              let id = Int(out.text[open.upperBound..<close.lowerBound])
        else { throw HarnessError("unexpected output of user add: \(out.text)") }
        return id
    }

    // MARK: HTTP

    func curl(_ args: [String]) throws -> HTTPResult {
        let r = try h.curl(args)
        answers.append((args.joined(separator: " ").prefix(200).description, r))
        return r
    }

    /// GET `path` with `-H` for each header line and any extra curl arguments.
    func get(_ path: String, _ headers: [String] = [], _ extra: [String] = []) throws -> HTTPResult {
        try curl(headers.flatMap { ["-H", $0] } + extra + [url(path)])
    }

    func bearer(_ path: String, _ token: String, _ extra: [String] = []) throws -> HTTPResult {
        try get(path, ["Authorization: Bearer \(token)"], extra)
    }

    /// POST `<mount>/token` with the urlencoded password form.
    func login(_ user: String = "johndoe", _ password: String = "secret", scope: String = "me items", mount: String = "/auth") throws -> HTTPResult {
        try curl(["--data-urlencode", "username=\(user)", "--data-urlencode", "password=\(password)",
                  "--data-urlencode", "scope=\(scope)", url(mount + "/token")])
    }

    func token(_ user: String = "johndoe", _ password: String = "secret", scope: String = "me items", mount: String = "/auth",
               file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try login(user, password, scope: scope, mount: mount)
        XCTAssertEqual(r.status, 200, r.text, file: file, line: line)
        let json = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any]
        guard let token = json?["access_token"] as? String else { throw HarnessError("no access_token in \(r.text)") }
        return token
    }

    /// The JWT's payload, decoded here without verifying (the server did that).
    static func claims(_ token: String) throws -> [String: Any] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw HarnessError("not a JWS: \(token)") }
        guard let data = base64URL(parts[1]),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw HarnessError("undecodable payload in \(token)") }
        return object
    }

    /// `gh_<id>_<secret>`; the secret is base64url and may itself contain "_".
    static func keyParts(_ key: String) throws -> (id: String, secret: String) {
        let parts = key.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[0] == "gh" else { throw HarnessError("not an API key: \(key)") }
        return (parts[1], parts[2])
    }

    /// base64url without padding, as in a JWS.
    static func base64URL(_ text: Substring) -> Data? {
        var b64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        return Data(base64Encoded: b64)
    }

    /// No answer since the last call contained `$argon2` or one of `secrets`, in its body or headers.
    func assertNoLeaks(file: StaticString = #filePath, line: UInt = #line) {
        for (what, r) in answers {
            let whole = r.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n") + "\n" + r.text
            XCTAssertFalse(whole.contains("$argon2"), "a password hash in the answer to \(what)", file: file, line: line)
            for secret in secrets where !secret.isEmpty {
                XCTAssertFalse(whole.contains(secret), "a secret in the answer to \(what)", file: file, line: line)
            }
        }
        answers.removeAll()
    }
}

/// Status, exact body and header values; a nil value means the header must be absent.
func XCTAssertAnswer(
    _ r: HTTPResult, _ status: Int, _ body: String, _ headers: [(String, String?)] = [],
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(r.status, status, r.text, file: file, line: line)
    XCTAssertEqual(r.text, body, file: file, line: line)
    for (name, value) in headers {
        XCTAssertEqual(r.header(name), value, "header \(name)", file: file, line: line)
    }
}

/// One seeded `E2E` per test class: started in `class setUp`, stopped in `class tearDown`.
class E2ETestCase: XCTestCase {
    class var config: [String: String] { [:] }
    class var nginxHTTPDirectives: String { "" }

    nonisolated(unsafe) private static var running: [ObjectIdentifier: Result<E2E, Error>] = [:]
    var e: E2E!

    override class func setUp() {
        super.setUp()
        running[ObjectIdentifier(self)] = Result { try E2E(config: config, nginxHTTPDirectives: nginxHTTPDirectives) }
    }

    override class func tearDown() {
        if case let .success(e)? = running.removeValue(forKey: ObjectIdentifier(self)) { e.stop() }
        super.tearDown()
    }

    override func setUpWithError() throws {
        guard let started = Self.running[ObjectIdentifier(Self.self)] else { throw HarnessError("class setUp did not run") }
        e = try started.get()
    }

    override func tearDown() {
        e?.assertNoLeaks()
        super.tearDown()
    }
}
