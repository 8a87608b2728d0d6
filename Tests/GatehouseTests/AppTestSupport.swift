import Foundation
import Logging
import XCTest
@testable import Gatehouse
import PostgreSQLSupport

/// An App over a fresh store in a temp folder, cheap Argon2 parameters and a fixed clock.
/// Throttling is off unless a test sets it: other suites send many wrong credentials on purpose.
final class TestApp {
    let dir: String
    let app: App
    var clock: Int64 = 1_800_000_000

    /// `demoUsers: false` for a second node over the same database (`settings["database"]`).
    init(_ settings: [String: String] = [:], logger: Logger = TestApp.quietLogger,
         failureLedger: (any FailureLedger)? = nil, demoUsers: Bool = true) throws {
        dir = TestApp.folders + "/" + UUID().uuidString
        var env = [
            "GATEHOUSE_DATA_DIR": dir, "GATEHOUSE_DEMO": "true",
            "GATEHOUSE_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "GATEHOUSE_ARGON2_MEMORY_KIB": "1024", "GATEHOUSE_ARGON2_TIME_COST": "1", "GATEHOUSE_ARGON2_PARALLELISM": "1",
            "GATEHOUSE_PASSWORD_MIN_LENGTH": "6",
            "GATEHOUSE_THROTTLE_ADDRESS_MAX_FAILURES": "0", "GATEHOUSE_THROTTLE_USER_MAX_FAILURES": "0",
        ]
        if settings["database"] == nil, PostgreSQLServer.enabled { env["GATEHOUSE_DATABASE"] = try PostgreSQLServer.shared().createDatabase() }
        for (k, v) in settings { env["GATEHOUSE_" + k.uppercased()] = v }
        let config = try Config.load(file: nil, environment: env)
        let store = try Store.open(config: config)
        let keys = try JWTKeySet.load(config: config)
        let box = ClockBox()
        app = try App(config: config, store: store, keys: keys, logger: logger, now: { box.value }, failureLedger: failureLedger)
        self.box = box
        box.value = clock
        guard demoUsers else { return }
        try addUser("johndoe", "secret", fullName: "John Doe", email: "johndoe@example.com", scopes: ["me", "items"])
        try addUser("alice", "secretalice", fullName: "Alice Chains", email: "alicechains@example.com",
                    scopes: ["me", "items"], disabled: true)
    }

    /// Warnings and errors only: the audit trail's info lines would drown the test output.
    static var quietLogger: Logger {
        var logger = Logger(label: "gatehouse")
        logger.logLevel = .warning
        return logger
    }

    private let box: ClockBox
    final class ClockBox: @unchecked Sendable { var value: Int64 = 0 }

    func advance(_ seconds: Int64) { box.value += seconds }
    var now: Int64 { box.value }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// One folder for the process's stores, removed when the process exits: XCTest keeps every
    /// test case, and so its TestApp, alive until then, and deinit never runs at exit.
    static let folders: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gh-test-\(getpid())-\(UUID().uuidString)").path
        atexit { try? FileManager.default.removeItem(atPath: TestApp.folders) }
        return path
    }()

    @discardableResult
    func addUser(_ name: String, _ password: String, fullName: String? = nil, email: String? = nil,
                 scopes: [String] = [], disabled: Bool = false) throws -> User {
        try app.store.createUser(
            username: name, email: email, fullName: fullName, passwordHash: try app.hasher.hash(password),
            disabled: disabled, scopes: scopes, now: now)
    }

    func request(_ method: String, _ path: String, query: String = "", headers: [(String, String)] = [],
                 body: String = "", prefix: String = "", from address: String = "", requestID: String = "") -> Response {
        app.handle(Request(method: method, path: path, scriptName: prefix, rawQuery: query,
                           headers: Headers(headers), body: Array(body.utf8), remoteAddress: address, requestID: requestID))
    }

    func login(_ username: String = "johndoe", _ password: String = "secret", scope: String = "me items",
               from address: String = "", headers: [(String, String)] = [], requestID: String = "") -> Response {
        let body = "username=\(username)&password=\(password)&scope=\(scope.replacingOccurrences(of: " ", with: "+"))"
        return request("POST", "/token", headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers, body: body,
                       from: address, requestID: requestID)
    }

    func token(_ username: String = "johndoe", _ password: String = "secret", scope: String = "me items") throws -> String {
        let r = login(username, password, scope: scope)
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        return try XCTUnwrap(JSON.parse(r.body)["access_token"]?.stringValue)
    }

    /// The claims /token would issue to `username` now, in a new session (uid 999 and a
    /// session nobody has for a name nobody has), with `overriding` replacing or adding claims.
    func claims(for username: String, scope: String, overriding: [(String, JSON)] = []) -> [(String, JSON)] {
        let user = (try? app.store.user(named: username)) ?? nil
        let session = user.flatMap {
            try? app.store.createSession(userID: $0.id, scopes: scope.split(separator: " ").map(String.init), clientAddress: "",
                                         userAgent: "", now: now, lifetime: 86400)
        }
        var claims: [(String, JSON)] = [
            ("sub", .string(username)), ("scope", .string(scope)), ("exp", .int(Int(now) + 1800)), ("iat", .int(Int(now))),
            ("uid", .int(Int(user?.id ?? 999))), ("cv", .int(Int(user?.credentialVersion ?? 0))),
            ("sid", .string(session?.id ?? "AAAAAAAAAAAAAAAAAAAAAA")), ("jti", "test"),
        ]
        for (name, value) in overriding {
            if let i = claims.firstIndex(where: { $0.0 == name }) { claims[i].1 = value } else { claims.append((name, value)) }
        }
        return claims
    }

    /// An introspector (permission tokens:introspect, over Basic) asks about `token`.
    func introspect(_ token: String) -> Response {
        if (try? app.store.user(named: "introspector")) == nil {
            _ = try? app.store.createRole(name: "introspection", permissions: [Permissions.introspectTokens], now: now)
            if let user = try? addUser("introspector", "introspectorpass") {
                try? app.store.grantRole(userID: user.id, role: "introspection")
            }
        }
        let form = "token=" + token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        return request("POST", "/token/introspect", headers: [
            ("Authorization", TestApp.basic("introspector", "introspectorpass")),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ], body: form)
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Base64.encode(Array("\(user):\(password)".utf8))
    }
}

func XCTAssertResponse(
    _ r: Response, _ status: Int, _ body: String, headers: [(String, String)] = [],
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(r.status, status, file: file, line: line)
    XCTAssertEqual(String(decoding: r.body, as: UTF8.self), body, file: file, line: line)
    for (name, value) in headers {
        XCTAssertEqual(r.headers[name], value, "header \(name)", file: file, line: line)
    }
}
