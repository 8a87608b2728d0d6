import Foundation
import XCTest
@testable import Gatehouse

/// Settings that would weaken Gatehouse are refused at start, with a message that never
/// echoes a secret.
final class SettingsHardeningTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "gatehouse-settings-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    func loadError(file: String? = nil, _ environment: [String: String]) -> String? {
        do {
            _ = try Config.load(file: file, environment: environment)
            return nil
        } catch {
            return error.description
        }
    }

    func write(_ text: String, to name: String, mode: Int16) throws -> String {
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, mode_t(mode))
        return path
    }

    /// F15
    func testASecretWithTooLittleRandomnessIsRefusedWithoutEchoingIt() {
        let weak = String(repeating: "a", count: 40)
        let message = loadError(["GATEHOUSE_SECRET_KEY": weak])
        XCTAssertEqual(message, "secret_key: too little randomness (too few distinct characters); use e.g. `openssl rand -hex 32`")
        XCTAssertNotNil(loadError(["GATEHOUSE_SECRET_KEY": "abababababababababababababababababababab"]))
        let short = "short-secret"
        let tooShort = loadError(["GATEHOUSE_SECRET_KEY": short]) ?? ""
        XCTAssertFalse(tooShort.contains(short), tooShort)
        XCTAssertNil(loadError(["GATEHOUSE_SECRET_KEY": LibCrypto.hex(LibCrypto.randomBytes(32))]))
        XCTAssertTrue(SecretStrength.isRandomEnough(Array(LibCrypto.hex(LibCrypto.randomBytes(32)).utf8)))
    }

    func testAConfigFileHoldingTheSecretMustBePrivate() throws {
        let secret = LibCrypto.hex(LibCrypto.randomBytes(32))
        let open = try write("secret_key = \(secret)\n", to: "open.conf", mode: 0o644)
        XCTAssertEqual(loadError(file: open, [:]),
                       "config file \(open) holds secret_key: permissions 644 let others read it; run chmod 600 \(open)")
        XCTAssertNil(loadError(file: try write("secret_key = \(secret)\n", to: "private.conf", mode: 0o600), [:]))
        XCTAssertNil(loadError(file: try write("demo = true\n", to: "plain.conf", mode: 0o644), [:]), "no secret, no rule")
    }

    func testAReadablePrivateKeyIsRefused() throws {
        let pem = try XCTUnwrap(OpenSSLKey.generate(.ed25519)?.privatePEM)
        let path = try write(pem, to: "ed.pem", mode: 0o640)
        var config = Config()
        config.jwtAlgorithm = .EdDSA
        config.jwtPrivateKeyFile = path
        XCTAssertThrowsError(try JWTKeySet.load(config: config)) {
            XCTAssertEqual(($0 as? ConfigError)?.description,
                           "jwt_private_key_file \(path) is a private key: permissions 640 let others read it; run chmod 600 \(path)")
        }
        chmod(path, 0o600)
        XCTAssertNoThrow(try JWTKeySet.load(config: config))
    }

    func testAReadableDatabaseIsReported() throws {
        var config = Config()
        config.dataDir = folder + "/data"
        config.secretKey = LibCrypto.hex(LibCrypto.randomBytes(32))
        XCTAssertEqual(try App.prepare(config: config), [])
        chmod(config.databasePath, 0o644)
        XCTAssertEqual(try App.prepare(config: config),
                       ["database \(config.databasePath): permissions 644 let others read it; run chmod 600 \(config.databasePath)"])
    }

    /// F12
    func testAnyOriginWithCredentialsNeedsToBeAskedForByName() throws {
        XCTAssertEqual(loadError(["GATEHOUSE_CORS_ALLOW_ORIGINS": "*", "GATEHOUSE_CORS_ALLOW_CREDENTIALS": "true"]),
                       "cors_allow_origins = * with cors_allow_credentials = true lets every site act as the signed-in user; list the origins, or set cors_reflect_any_origin_with_credentials = true")
        let t = try TestApp(["cors_allow_origins": "*", "cors_allow_credentials": "true",
                             "cors_reflect_any_origin_with_credentials": "true"])
        XCTAssertEqual(t.request("GET", "/health", headers: [("Origin", "https://any.example")]).headers["access-control-allow-origin"],
                       "https://any.example")
        XCTAssertNil(t.request("GET", "/health", headers: [("Origin", "null")]).headers["access-control-allow-origin"])
        let listed = try TestApp(["cors_allow_origins": "null https://app.example", "cors_allow_credentials": "true"])
        XCTAssertEqual(listed.request("GET", "/health", headers: [("Origin", "null")]).headers["access-control-allow-origin"], "null")
        let pattern = try TestApp(["cors_allow_origin_regex": ".*"])
        XCTAssertNil(pattern.request("GET", "/health", headers: [("Origin", "null")]).headers["access-control-allow-origin"])
    }

    /// F22
    func testTheTokenLifetimeCapIsASetting() throws {
        XCTAssertEqual(loadError(["GATEHOUSE_ACCESS_TOKEN_EXPIRE_MINUTES": "2000"]),
                       "access_token_expire_minutes: 2000 is longer than max_token_lifetime_minutes (1440); no issued token would verify")
        let t = try TestApp(["max_token_lifetime_minutes": "10", "access_token_expire_minutes": "5"])
        XCTAssertEqual(t.app.keys.claims.maxLifetime, 600)
        let long = t.app.keys.issue(claims: t.claims(for: "johndoe", scope: "me", overriding: [("exp", .int(Int(t.now) + 601))]))
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(long)")]).status, 401)
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(try t.token(scope: "me"))")]).status, 200)
    }

    /// F7
    func testADisabledLoginCanBeRefused() throws {
        let tutorial = try TestApp()
        XCTAssertEqual(tutorial.login("alice", "secretalice").status, 200, "tutorial005's behaviour by default")
        let strict = try TestApp(["refuse_disabled_login": "true"])
        XCTAssertResponse(strict.login("alice", "secretalice"), 400, #"{"detail":"Inactive user"}"#)
        XCTAssertResponse(strict.login("alice", "wrong"), 400, #"{"detail":"Incorrect username or password"}"#)
    }

    /// F17: the bounds are settings.
    func testStoredHashBoundsAreSettings() throws {
        var config = Config()
        config.argon2MaxMemoryKiB = 65536
        let hasher = PasswordHasher(config: config)
        XCTAssertNil(hasher.problem(with: "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"))
        XCTAssertNotNil(hasher.problem(with: "$argon2id$v=19$m=65537,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"))
    }

    /// F4: a hash that finds no room is not computed, and the request is told to come back.
    func testAHashBeyondTheLimitIsRefusedUncomputed() throws {
        final class Shut: HashLimiter {
            func tryEnter() -> Bool { false }
            func leave() { XCTFail("left without entering") }
        }
        let t = try TestApp()
        let app = try App(config: t.app.config, store: t.app.store, keys: t.app.keys, now: t.app.now, hashLimiter: Shut())
        let before = PasswordHasher.computations.load(ordering: .relaxed)
        let basic = app.handle(Request(method: "GET", path: "/users/me/", headers: Headers([("Authorization", TestApp.basic("johndoe", "wrong"))])))
        XCTAssertResponse(basic, 503, #"{"detail":"Service unavailable"}"#, headers: [("retry-after", "1")])
        let unknown = app.handle(Request(method: "GET", path: "/check", headers: Headers([("Authorization", TestApp.basic("nobody", "x"))])))
        XCTAssertEqual(unknown.status, 503)
        XCTAssertEqual(PasswordHasher.computations.load(ordering: .relaxed), before)
        XCTAssertEqual(app.basicCacheMisses.load(ordering: .relaxed), 2, "misses are counted")
        let token = try t.token(scope: "me")
        XCTAssertEqual(app.handle(Request(method: "GET", path: "/users/me/", headers: Headers([("Authorization", "Bearer \(token)")]))).status, 200,
                       "tokens need no hash")
    }

    /// A limiter that is full for the next `refusals` tries, then has room.
    final class Busy: HashLimiter, @unchecked Sendable {
        var refusals: Int
        private(set) var tries = 0
        init(refusals: Int) { self.refusals = refusals }
        func tryEnter() -> Bool {
            tries += 1
            guard refusals > 0 else { return true }
            refusals -= 1
            return false
        }
        func leave() {}
    }

    /// A Basic credential this worker verified before, whose memory has just expired, waits a
    /// moment for a hash slot (another client's hash is running) instead of getting a 503; a
    /// credential it never verified is refused at once, and a wait is bounded.
    func testOnlyACredentialVerifiedBeforeWaitsForRoomAndOnlyBriefly() throws {
        let t = try TestApp()
        let limiter = Busy(refusals: 0)
        let app = try App(config: t.app.config, store: t.app.store, keys: t.app.keys, now: t.app.now, hashLimiter: limiter)
        let john = Request(method: "GET", path: "/users/me/", headers: Headers([("Authorization", TestApp.basic("johndoe", "secret"))]))
        XCTAssertEqual(app.handle(john).status, 200)
        t.advance(Int64(t.app.config.basicCacheSeconds))

        limiter.refusals = 3
        XCTAssertEqual(app.handle(john).status, 200, "waited for room")
        XCTAssertEqual(limiter.tries, 1 + 4)

        limiter.refusals = 1
        let stranger = Request(method: "GET", path: "/users/me/", headers: Headers([("Authorization", TestApp.basic("johndoe", "guess"))]))
        XCTAssertResponse(app.handle(stranger), 503, #"{"detail":"Service unavailable"}"#, headers: [("retry-after", "1")])
        XCTAssertEqual(limiter.tries, 5 + 1, "a credential never verified here does not wait")

        t.advance(Int64(t.app.config.basicCacheSeconds))
        limiter.refusals = .max
        XCTAssertEqual(app.handle(john).status, 503, "the wait is bounded")
        XCTAssertGreaterThan(limiter.tries, 6 + 1)
    }
}

