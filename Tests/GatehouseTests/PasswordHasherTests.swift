import XCTest
@testable import Gatehouse

final class PasswordHasherTests: XCTestCase {
    let defaults = PasswordHasher(config: Config())

    var cheap: PasswordHasher {
        var config = Config()
        config.argon2MemoryKiB = 1024
        config.argon2TimeCost = 1
        config.argon2Parallelism = 1
        return PasswordHasher(config: config)
    }

    // Expected values computed with argon2-cffi 25.1 (argon2.low_level.hash_secret).
    func testArgon2idKnownAnswerWithPwdlibDefaults() throws {
        let salt = (0..<16).map { UInt8($0) }
        XCTAssertEqual(
            try defaults.hash("correct horse battery staple", salt: salt),
            "$argon2id$v=19$m=65536,t=3,p=4$AAECAwQFBgcICQoLDA0ODw$hTsnKkTbFCHAKWJmmlXrCZTzyrOF7RxMeSU+7hm6tJ4")
    }

    func testArgon2idKnownAnswerNonASCIIPasswordOtherParameters() throws {
        var config = Config()
        config.argon2MemoryKiB = 1024
        config.argon2TimeCost = 2
        config.argon2Parallelism = 1
        let hasher = PasswordHasher(config: config)
        XCTAssertEqual(
            try hasher.hash("pässwörd €", salt: Array("saltsaltsaltsalt".utf8)),
            "$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$f3Tl1n1AWnMFHsnQg+pDtKxjdM4Gi8BqGxdTUiLdIf4")
    }

    func testFreshHashShapeAndRoundTrip() throws {
        let h1 = try defaults.hash("secret")
        let h2 = try defaults.hash("secret")
        XCTAssertNotEqual(h1, h2, "salts must differ")
        XCTAssertTrue(h1.hasPrefix("$argon2id$v=19$m=65536,t=3,p=4$"))
        let parts = h1.split(separator: "$")
        XCTAssertEqual(parts.count, 5)
        XCTAssertEqual(parts[3].count, 22)  // 16 bytes, no padding
        XCTAssertEqual(parts[4].count, 43)  // 32 bytes, no padding
        XCTAssertFalse(parts[3].contains("=") || parts[4].contains("="))
        XCTAssertTrue(defaults.verify("secret", hash: h1))
        XCTAssertFalse(defaults.verify("Secret", hash: h1))
        XCTAssertFalse(defaults.verify("", hash: h1))
        XCTAssertFalse(defaults.needsRehash(h1))
        XCTAssertTrue(PasswordHasher.isWellFormed(h1))
    }

    func testVerifiesPwdlibAndArgon2CffiHashes() {
        let pwdlib = "$argon2id$v=19$m=65536,t=3,p=4$Gvtkyi/t2eiLZYukKTUmDg$JDKsurPRzR+z3mDPV+c6d+0JH8NXgVIVkwi9dU1rLrU"
        XCTAssertTrue(defaults.verify("secret", hash: pwdlib))
        XCTAssertFalse(defaults.verify("secret ", hash: pwdlib))
        let argon2i = "$argon2i$v=19$m=8192,t=2,p=2$Bd5hjvWTFLv45Z9W7ahbdg$OlhtJEN6cSBEeIQymPOdPu1MkEJJRSZIUjGlAQJiNF8"
        XCTAssertTrue(defaults.verify("hunter2", hash: argon2i))
        XCTAssertFalse(defaults.verify("hunter3", hash: argon2i))
        // 8-byte salt, 16-byte hash.
        let short = "$argon2id$v=19$m=1024,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA"
        XCTAssertTrue(defaults.verify("short", hash: short))
        XCTAssertFalse(defaults.verify("shorT", hash: short))
    }

    func testVersion16AndArgon2dRoundTrip() {
        let salt = Array("0123456789abcdef".utf8)
        for (variant, version) in [(Argon2Hash.Variant.argon2d, Argon2Hash.version13), (.argon2id, Argon2Hash.version10)] {
            var phc = Argon2Hash(variant: variant, version: version, memoryKiB: 64, timeCost: 1, parallelism: 1,
                                 salt: salt, hash: [])
            phc.hash = phc.compute(Array("pw".utf8), outputLength: 32)!
            let text = phc.encoded
            if version == Argon2Hash.version10 { XCTAssertFalse(text.contains("v=")) }
            XCTAssertTrue(defaults.verify("pw", hash: text), text)
            XCTAssertFalse(defaults.verify("pw2", hash: text), text)
            XCTAssertTrue(defaults.needsRehash(text))
        }
    }

    // Published vectors: pyca/bcrypt's test suite ($2b$) and OpenWall's crypt_blowfish ($2a$).
    func testBcryptKnownAnswers() {
        let pyca = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm"
        XCTAssertTrue(defaults.verify("Kk4DQuMMfZL9o", hash: pyca))
        XCTAssertFalse(defaults.verify("Kk4DQuMMfZL9O", hash: pyca))
        let openwall = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
        XCTAssertTrue(defaults.verify("U*U", hash: openwall))
        XCTAssertFalse(defaults.verify("U*V", hash: openwall))
    }

    // Made by passlib 1.7.4's builtin bcrypt backend.
    func testPasslibBcryptHashes() {
        let cases = [
            ("passlib-2b", "$2b$04$OHK7a2OtVOrwMhR7coXhQ.oDgD7gij2L9MHfibGBn8ijE8ZSel.cC"),
            ("passlib-2y", "$2y$04$c8PGkeZbDHSRA0Me9wBPn.yuguVgWvb997tlJfw.0fS1Uy2qtE0IW"),
            ("passlib-2a", "$2a$04$bI0mgTwyDGZbOgQcABkOROLavBbUB2yuVLuzdk6k9i.jNWgVlophu"),
        ]
        for (password, hash) in cases {
            XCTAssertTrue(defaults.verify(password, hash: hash), hash)
            XCTAssertFalse(defaults.verify(password + "x", hash: hash), hash)
            XCTAssertFalse(defaults.verify(password + "\0", hash: hash), hash)
            XCTAssertTrue(defaults.needsRehash(hash))
            XCTAssertTrue(PasswordHasher.isWellFormed(hash))
        }
    }

    func testMalformedHashesAreFalseNotCrashes() {
        let good = "$argon2id$v=19$m=1024,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA"
        let bad = [
            "", "$", "$$$$", "secret", "argon2id$v=19$m=1024,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA",
            String(good.dropLast(5)),  // truncated hash
            String(good.prefix(30)),
            "$argon2id$v=19$m=1024,t=1,p=1$Y2/dvbg59yg",  // no hash field
            "$argon2id$v=19$m=1024,t=1,p=1$Y2/dvbg5*yg$D0mTHBqdNGlyEjfjj3Y4PA",  // bad base64
            "$argon2id$v=19$m=1024,t=1,p=1$Y2/dvbg59yg=$D0mTHBqdNGlyEjfjj3Y4PA",  // padding
            "$argon2id$v=19$m=1024,t=1,p=1$Y2/dvbg59yh$D0mTHBqdNGlyEjfjj3Y4PA",  // non-zero trailing bits
            "$argon2id$v=19$m=4194305,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA",  // huge memory
            "$argon2id$v=19$m=99999999999,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA",
            "$argon2id$v=19$m=1024,t=0,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA",  // t=0
            "$argon2id$v=19$m=1024,t=1000000,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA",
            "$argon2id$v=19$m=1024,t=1,p=0$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA",
            "$argon2id$v=19$m=1024,t=1,p=255$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA",
            "$argon2id$v=19$m=8,t=1,p=4$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA",  // m < 8p
            "$argon2id$v=19$m=-1024,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA",
            "$argon2id$v=19$m=01024,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA",
            "$argon2id$v=19$t=1,m=1024,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA",  // order
            "$argon2id$v=19$m=1024,t=1,p=1,keyid=x$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA",
            "$argon2id$v=20$m=1024,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA",
            "$argon2x$v=19$m=1024,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA",  // unknown variant
            "$argon2ID$v=19$m=1024,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA",
            "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
            "$argon2id$v=19$m=1024,t=1,p=1$YWJj$D0mTHBqdNGlyEjfjj3Y4PA",  // 3-byte salt
            "$argon2id$v=19$m=1024,t=1,p=1$Y2/dvbg59yg$" + String(repeating: "A", count: 600),
            "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YE",  // bcrypt truncated
            "$2b$31$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",  // cost too high
            "$2b$03$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
            "$2x$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
            "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3Y!m",
            "$2b$+4$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
        ]
        for hash in bad {
            XCTAssertFalse(defaults.verify("short", hash: hash), hash)
            XCTAssertFalse(defaults.verify("Kk4DQuMMfZL9o", hash: hash), hash)
            XCTAssertFalse(PasswordHasher.isWellFormed(hash), hash)
            XCTAssertTrue(defaults.needsRehash(hash), hash)
        }
        XCTAssertTrue(defaults.verify("short", hash: good))
    }

    func testNeedsRehash() throws {
        let cheapHash = try cheap.hash("pw")
        XCTAssertFalse(cheap.needsRehash(cheapHash))
        XCTAssertTrue(defaults.needsRehash(cheapHash))
        let pwdlib = "$argon2id$v=19$m=65536,t=3,p=4$Gvtkyi/t2eiLZYukKTUmDg$JDKsurPRzR+z3mDPV+c6d+0JH8NXgVIVkwi9dU1rLrU"
        XCTAssertFalse(defaults.needsRehash(pwdlib))
        XCTAssertTrue(cheap.needsRehash(pwdlib))
        // Same parameters, other variant.
        XCTAssertTrue(defaults.needsRehash(pwdlib.replacingOccurrences(of: "$argon2id$", with: "$argon2i$")))
        // Same parameters, other salt or hash length.
        XCTAssertTrue(cheap.needsRehash("$argon2id$v=19$m=1024,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA"))
        XCTAssertTrue(defaults.needsRehash("$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm"))
    }

    func testDummyVerificationCostsAboutOneVerification() throws {
        let hasher = cheap
        let dummy = hasher.dummyHash
        XCTAssertEqual(dummy, hasher.dummyHash, "computed once")
        XCTAssertTrue(dummy.hasPrefix("$argon2id$v=19$m=1024,t=1,p=1$"))
        XCTAssertFalse(hasher.needsRehash(dummy))
        XCTAssertTrue(defaults.dummyHash.hasPrefix("$argon2id$v=19$m=65536,t=3,p=4$"))
        let start = Date()
        defaults.verifyDummy("anything")
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 0.01, "the dummy must really hash")
    }

    func testStrongerForeignHashWithinLimitsVerifies() throws {
        var config = Config()
        config.argon2MemoryKiB = 2048
        config.argon2TimeCost = 2
        config.argon2Parallelism = 2
        let stronger = try PasswordHasher(config: config).hash("pw")
        XCTAssertTrue(cheap.verify("pw", hash: stronger))
        XCTAssertTrue(cheap.needsRehash(stronger))
    }
}
