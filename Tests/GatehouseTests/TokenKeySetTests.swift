import Foundation
import XCTest
@testable import Gatehouse

/// JWTKeySet.load(config:): the secret file, asymmetric keys from PEM files, rotation entries.
final class TokenKeySetTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "gatehouse-keys-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
    }

    func write(_ text: String, to name: String, mode: Int = 0o600) throws -> String {
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    func assertConfigError(_ config: Config, contains fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try JWTKeySet.load(config: config), file: file, line: line) { error in
            let message = (error as? ConfigError)?.description ?? ""
            XCTAssertTrue(message.contains(fragment), "\(message)", file: file, line: line)
        }
    }

    func testSecretFileIsGeneratedWith0600AndReused() throws {
        var config = Config()
        config.dataDir = folder + "/data"  // does not exist yet
        let keys = try JWTKeySet.load(config: config)
        let path = folder + "/data/secret_key"
        XCTAssertEqual(try mode(path), 0o600)
        XCTAssertEqual(try mode(folder + "/data"), 0o700)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(text.count, 65)
        XCTAssertTrue(text.hasSuffix("\n"))
        XCTAssertTrue(text.dropLast().allSatisfy { "0123456789abcdef".contains($0) })

        // The secret is the hex text: a key made from it verifies the first set's tokens, and a second load reuses it.
        let token = keys.issue(claims: [("sub", "alice"), ("exp", 60)])
        let fromText = try JWTKeySet(signingKey: JWTKey.hmac(secret: String(text.dropLast())))
        XCTAssertNoThrow(try fromText.verify(token, now: 0))
        let again = try JWTKeySet.load(config: config)
        XCTAssertNoThrow(try again.verify(token, now: 0))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), text)
    }

    func testTwoGeneratedSecretsDiffer() throws {
        var a = Config(), b = Config()
        a.secretKeyFile = folder + "/a"
        b.secretKeyFile = folder + "/b"
        let token = try JWTKeySet.load(config: a).issue(claims: [])
        XCTAssertThrowsError(try JWTKeySet.load(config: b).verify(token, now: 0)) {
            XCTAssertEqual($0 as? JWTError, .invalidSignature)
        }
    }

    func testGroupOrOtherReadableSecretFileIsRefused() throws {
        for mode in [0o640, 0o604, 0o660, 0o644] {
            var config = Config()
            config.secretKeyFile = try write(LibCrypto.hex(LibCrypto.randomBytes(32)) + "\n", to: "secret-\(mode)", mode: mode)
            assertConfigError(config, contains: "chmod 600")
        }
        var config = Config()
        config.secretKeyFile = try write(LibCrypto.hex(LibCrypto.randomBytes(32)), to: "ok", mode: 0o400)
        XCTAssertNoThrow(try JWTKeySet.load(config: config))
        config.secretKeyFile = try write(String(repeating: "ab", count: 32), to: "weak", mode: 0o400)
        assertConfigError(config, contains: "too little randomness")
        config.secretKeyFile = try write(LibCrypto.hex(LibCrypto.randomBytes(32)), to: "ok2", mode: 0o400)
        XCTAssertNoThrow(try JWTKeySet.load(config: config))
    }

    func testBadSecretFilesAreRefused() throws {
        var config = Config()
        config.secretKeyFile = try write("\n", to: "empty")
        assertConfigError(config, contains: "empty")
        config.secretKeyFile = try write("short", to: "short")
        assertConfigError(config, contains: "at least 32 bytes")
        config.secretKeyFile = try write(TestKeys.rsa.publicPEM, to: "pem")
        assertConfigError(config, contains: "looks like a PEM or SSH key")
        config.secretKeyFile = folder
        assertConfigError(config, contains: "not a regular file")
    }

    func testConfiguredSecretKeyWinsOverTheFile() throws {
        var config = Config()
        config.secretKey = String(decoding: TestKeys.secret, as: UTF8.self)
        config.secretKeyFile = folder + "/never-created"
        config.jwtKeyID = "main"
        let keys = try JWTKeySet.load(config: config)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/never-created"))
        let token = keys.issue(claims: [("sub", "a"), ("exp", 60)])
        XCTAssertEqual(String(decoding: Base64.urlDecode(token.split(separator: ".")[0])!, as: UTF8.self),
                       #"{"alg":"HS256","typ":"JWT","kid":"main"}"#)
        XCTAssertNoThrow(try JWTKeySet(signingKey: TestKeys.hmac(kid: "main")).verify(token, now: 0))
    }

    func testAsymmetricKeysAndRotationFromFiles() throws {
        let old = try XCTUnwrap(OpenSSLKey.generate(.ec(curve: "P-256")))
        var config = Config()
        config.jwtAlgorithm = .EdDSA
        config.jwtKeyID = "new"
        config.jwtPrivateKeyFile = try write(TestKeys.ed25519.privatePEM!, to: "ed.pem")
        config.jwtVerifyKeys = [
            JWTVerifyKey(kid: "old", algorithm: .ES256, path: try write(old.publicPEM, to: "old.pub.pem")),
            JWTVerifyKey(kid: "legacy", algorithm: .HS256,
                         path: try write(String(decoding: TestKeys.secret, as: UTF8.self), to: "legacy.secret")),
        ]
        config.jwtAudience = "api"
        config.jwtLeeway = 5
        let keys = try JWTKeySet.load(config: config)
        XCTAssertEqual(keys.verificationKeys.map(\.kid), ["new", "old", "legacy"])
        XCTAssertEqual(keys.claims.leeway, 5)

        let mine = keys.issue(claims: [("aud", "api"), ("exp", 100)])
        XCTAssertNoThrow(try keys.verify(mine, now: 104))
        XCTAssertThrowsError(try keys.verify(mine, now: 105)) { XCTAssertEqual($0 as? JWTError, .expired) }
        let fromOld = try JWTKeySet(signingKey: JWTKey.asymmetric(old, algorithm: .ES256, kid: "old")).issue(claims: [("aud", "api"), ("exp", 60)])
        XCTAssertNoThrow(try keys.verify(fromOld, now: 0))
        let fromLegacy = try JWTKeySet(signingKey: TestKeys.hmac(kid: "legacy")).issue(claims: [("aud", "api"), ("exp", 60)])
        XCTAssertNoThrow(try keys.verify(fromLegacy, now: 0))
        // The legacy HMAC secret does not verify an HS256 token that names no kid: that selects the EdDSA key.
        let noKid = try JWTKeySet(signingKey: TestKeys.hmac()).issue(claims: [("aud", "api")])
        XCTAssertThrowsError(try keys.verify(noKid, now: 0)) { XCTAssertEqual($0 as? JWTError, .algorithmNotAllowed) }
    }

    func testBadAsymmetricConfigurations() throws {
        var config = Config()
        config.jwtAlgorithm = .RS256
        assertConfigError(config, contains: "jwt_private_key_file: required")
        config.jwtPrivateKeyFile = folder + "/missing.pem"
        assertConfigError(config, contains: "cannot be read")
        config.jwtPrivateKeyFile = try write(TestKeys.rsa.publicPEM, to: "rsa.pub.pem")
        assertConfigError(config, contains: "not a private key")
        config.jwtPrivateKeyFile = try write(TestKeys.p256.privatePEM!, to: "ec.pem")
        assertConfigError(config, contains: "does not fit RS256")
        config.jwtPrivateKeyFile = try write("garbage", to: "garbage.pem")
        assertConfigError(config, contains: "not a readable")
        config.jwtPrivateKeyFile = try write(TestKeys.rsa.privatePEM!, to: "rsa.pem")
        XCTAssertNoThrow(try JWTKeySet.load(config: config))
        // The setting's own parse refuses what no key could be.
        for (entry, fragment) in [("x:none:/dev/null", "unsupported algorithm 'none'"), (":RS256:/k.pem", "expected kid:ALG")] {
            XCTAssertThrowsError(try config.set("jwt_verify_keys", entry, origin: .defaultValue)) {
                XCTAssertTrue("\($0)".contains(fragment), "\($0)")
            }
        }
        config.jwtKeyID = "a"
        try config.set("jwt_verify_keys", "a:RS256:" + config.jwtPrivateKeyFile!, origin: .defaultValue)
        assertConfigError(config, contains: "more than one key")
    }

    func testEncryptedPEMIsRefusedWithoutPrompting() throws {
        // `openssl genpkey -algorithm ed25519 -aes-128-cbc -pass pass:x`: loading must fail, not read a terminal.
        let encrypted = """
            -----BEGIN ENCRYPTED PRIVATE KEY-----
            MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAj/VFMSVgiadAICCAAw
            DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEENNpTR8zq0lSwxgSRrb5SIUEQGK1
            /MZt3T4xlVu2YqVIqsTeDP63+V9amQXXLvl4JVw/0Q+ox0ah6LEeoAFU2Fjz90r0
            NukPqmuEiEDLQCBb7o8=
            -----END ENCRYPTED PRIVATE KEY-----
            """
        XCTAssertNil(OpenSSLKey.load(pem: Array(encrypted.utf8)))
    }

    /// An access token seen before skips its signature check and its reading, never its time
    /// claims: at every use it is judged at that moment, and a token that differs by one
    /// character is checked afresh.
    func testARememberedAccessTokenIsStillJudgedAtEachUse() throws {
        let keys = try JWTKeySet(signingKey: TestKeys.hmac(kid: "main"))
        func accessToken(_ sub: String, extra: [(String, JSON)] = []) -> String {
            keys.issue(claims: [("sub", .string(sub)), ("scope", "me"), ("exp", 100), ("iat", 50), ("uid", 7), ("cv", 0),
                                ("sid", "S39eRW8Eyb89akpQfH620g"), ("jti", "j")] + extra)
        }
        let tokens = VerifiedAccessTokens(keys: keys)
        let token = accessToken("johndoe", extra: [("nbf", 55)])
        let read = try XCTUnwrap(tokens.read(token, now: 60))
        XCTAssertEqual(read.username, "johndoe")
        XCTAssertEqual(read.scopes, ["me"])
        XCTAssertEqual(tokens.read(token, now: 60), read, "remembered")
        XCTAssertNil(tokens.read(token, now: 100), "expired since")
        XCTAssertNil(tokens.read(token, now: 54), "not yet valid (nbf)")
        XCTAssertNil(tokens.read(token, now: 40), "issued in the future of a clock set back")
        XCTAssertEqual(tokens.read(token, now: 99), read)
        var forged = Array(token.utf8)
        forged[forged.count - 2] = forged[forged.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        XCTAssertNil(tokens.read(String(decoding: forged, as: UTF8.self), now: 60))
        let other = try JWTKeySet(signingKey: JWTKey.hmac(secret: Array("another-secret-that-is-long-enough-012345".utf8), kid: "main"))
        XCTAssertNil(VerifiedAccessTokens(keys: other).read(token, now: 60), "what one reader remembers, another never sees")
        XCTAssertNil(tokens.read(keys.issue(claims: [("sub", "johndoe"), ("exp", 100)]), now: 60), "verifies, but is no access token")
        for n in 0..<(VerifiedAccessTokens.capacity * 2) { XCTAssertNotNil(tokens.read(accessToken("u\(n)"), now: 60)) }
        XCTAssertNil(tokens.read(token, now: 100), "after the memory was emptied")
        XCTAssertEqual(tokens.read(token, now: 60), read)
    }

    /// The time claims' rules are one set, whether judged from the claims or from a remembered token.
    func testTimesAreJudgedAlikeFromClaimsAndFromTheirReading() throws {
        let rules = JWTClaims(leeway: 5, maxLifetime: 1000)
        let cases: [[(String, JSON)]] = [
            [("exp", 100)], [("exp", 100), ("iat", 50)], [("exp", 100), ("nbf", 70)], [("exp", 100), ("iat", 90), ("nbf", 95)],
            [("iat", 50)], [("exp", 5000)], [("exp", .double(100.9)), ("iat", .double(49.5))],
        ]
        for claims in cases {
            let times = try XCTUnwrap(JWTClaims.Times(claims))
            for now in stride(from: Int64(0), through: 200, by: 5) {
                let fromClaims = Result { () throws(JWTError) in try rules.validate(claims, now: now) }
                let fromTimes = Result { () throws(JWTError) in try rules.validate(times, now: now) }
                XCTAssertEqual(String(describing: fromClaims), String(describing: fromTimes), "\(claims) at \(now)")
            }
        }
        XCTAssertNil(JWTClaims.Times([("exp", "100")]), "a string is no NumericDate")
        XCTAssertNil(JWTClaims.Times([("iat", true)]))
    }
}

/// Processes that start at once (lighttpd starts a responder and an authorizer together)
/// must agree on the generated secret, and none may read a half-written file.
final class SecretFileRaceTests: XCTestCase {
    func testProcessesCreatingTheSecretAtOnceAllGetTheSameWholeOne() throws {
        let folder = NSTemporaryDirectory() + "gatehouse-race-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/secret_key"
        var children: [pid_t] = []
        for i in 0..<8 {
            let pid = fork()
            if pid == 0 {
                let secret = (try? SecretFile.loadOrCreate(path: path)) ?? []
                FileManager.default.createFile(atPath: "\(folder)/seen-\(i)", contents: Data(secret))
                _exit(secret.count == 64 ? 0 : 1)
            }
            children.append(pid)
        }
        for pid in children {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            XCTAssertEqual(status, 0, "a child read a missing or partial secret")
        }
        let seen = Set((0..<8).compactMap { FileManager.default.contents(atPath: "\(folder)/seen-\($0)") })
        XCTAssertEqual(seen.count, 1)
        XCTAssertEqual(seen.first.map { Array($0) }, try SecretFile.read(path: path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".tmp") }, [])
    }
}
