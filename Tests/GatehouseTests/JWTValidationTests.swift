import XCTest
@testable import Gatehouse

/// Every rule that refuses a token, one by one, with the exact error.
final class JWTValidationTests: XCTestCase {
    let now: Int64 = 1_700_000_000
    let hs256Header = #"{"alg":"HS256","typ":"JWT"}"#

    /// PyJWT's rules unless `maxLifetime` is given: the tests below compare with PyJWT.
    func keySet(_ key: JWTKey? = nil, verify: [JWTKey] = [], leeway: Int64 = 0, audience: String? = nil,
                issuer: String? = nil, maxLength: Int = 8192, maxLifetime: Int64? = nil) throws -> JWTKeySet {
        try JWTKeySet(signingKey: key ?? TestKeys.hmac(), verificationKeys: verify,
                      claims: JWTClaims(leeway: leeway, audience: audience, issuer: issuer, maxLifetime: maxLifetime),
                      maxTokenLength: maxLength)
    }

    func assertRejected(_ token: String, by keys: JWTKeySet, at time: Int64? = nil, _ expected: JWTError,
                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try keys.verify(token, now: time ?? now), file: file, line: line) {
            XCTAssertEqual($0 as? JWTError, expected, file: file, line: line)
        }
    }

    func assertAccepted(_ token: String, by keys: JWTKeySet, at time: Int64? = nil,
                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNoThrow(try keys.verify(token, now: time ?? now), file: file, line: line)
    }

    /// An HS256 token with this payload text, signed with the test secret.
    func hs256(_ payload: String, header: String? = nil) throws -> String {
        TestKeys.token(header: header ?? hs256Header, payload: payload, key: try TestKeys.hmac())
    }

    // MARK: algorithm

    func testAlgNoneIsRefused() throws {
        let keys = try keySet()
        for alg in ["none", "None", "NONE", "nOnE"] {
            let token = TestKeys.token(header: #"{"alg":"\#(alg)","typ":"JWT"}"#, payload: #"{"sub":"a"}"#, key: nil)
            XCTAssertTrue(token.hasSuffix("."))
            assertRejected(token, by: keys, .unsupportedAlgorithm)
        }
        // Even with a signature attached.
        let signed = TestKeys.token(header: #"{"alg":"none"}"#, payload: "{}", key: nil, signature: [1, 2, 3])
        assertRejected(signed, by: keys, .unsupportedAlgorithm)
    }

    func testMissingOrNonStringAlgIsMalformed() throws {
        let keys = try keySet()
        assertRejected(try hs256("{}", header: #"{"typ":"JWT"}"#), by: keys, .malformed("Algorithm not specified"))
        assertRejected(try hs256("{}", header: #"{"alg":256}"#), by: keys, .malformed("Algorithm not specified"))
    }

    func testHS256TokenAgainstRS256KeyIsNotAllowed() throws {
        let rsaKey = try TestKeys.key(for: .RS256)
        let keys = try keySet(rsaKey)
        // The classic confusion: an HMAC over the token keyed with the RSA public key's PEM.
        let publicPEM = Array(rsaKey.publicPEM!.utf8)
        let input = Base64.urlEncode(Array(hs256Header.utf8)) + "." + Base64.urlEncode(Array(#"{"sub":"admin"}"#.utf8))
        let forged = input + "." + Base64.urlEncode(LibCrypto.hmac(.sha256, key: publicPEM, data: Array(input.utf8)))
        assertRejected(forged, by: keys, .algorithmNotAllowed)
    }

    func testRS256TokenAgainstHMACKeyIsNotAllowed() throws {
        let rsToken = try JWTKeySet(signingKey: TestKeys.key(for: .RS256)).issue(claims: [("sub", "a")])
        assertRejected(rsToken, by: try keySet(), .algorithmNotAllowed)
    }

    func testNeighbouringAlgorithmsAreNotAllowed() throws {
        let pairs: [(JWSAlgorithm, JWSAlgorithm)] = [(.RS256, .PS256), (.PS256, .RS256), (.RS256, .RS512), (.HS256, .HS512), (.ES256, .EdDSA)]
        for (signer, verifier) in pairs {
            let token = try JWTKeySet(signingKey: TestKeys.key(for: signer)).issue(claims: [("sub", "a")])
            assertRejected(token, by: try keySet(TestKeys.key(for: verifier)), .algorithmNotAllowed)
        }
    }

    func testKeysRefuseTypesThatDoNotFitTheirAlgorithm() throws {
        XCTAssertThrowsError(try JWTKey.asymmetric(TestKeys.p256, algorithm: .ES384)) {
            XCTAssertEqual($0 as? JWTKeyError, .wrongKeyType(algorithm: "ES384"))
        }
        XCTAssertThrowsError(try JWTKey.asymmetric(TestKeys.rsa, algorithm: .ES256))
        XCTAssertThrowsError(try JWTKey.asymmetric(TestKeys.ed25519, algorithm: .RS256))
        XCTAssertThrowsError(try JWTKey.asymmetric(TestKeys.rsa, algorithm: .HS256))
        XCTAssertThrowsError(try JWTKey.hmac(secret: TestKeys.secret, algorithm: .RS256))
        let small = try XCTUnwrap(OpenSSLKey.generate(.rsa(bits: 1024)))
        XCTAssertThrowsError(try JWTKey.asymmetric(small, algorithm: .RS256)) {
            XCTAssertEqual($0 as? JWTKeyError, .wrongKeyType(algorithm: "RS256"))
        }
        XCTAssertThrowsError(try JWTKey.pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", algorithm: .RS256)) {
            XCTAssertEqual($0 as? JWTKeyError, .unreadablePEM)
        }
        // A public key verifies but cannot be the signing key of a key set.
        let publicOnly = try JWTKey.pem(TestKeys.rsa.publicPEM, algorithm: .RS256)
        XCTAssertThrowsError(try JWTKeySet(signingKey: publicOnly)) { XCTAssertEqual($0 as? JWTKeyError, .notAPrivateKey) }
    }

    func testHMACSecretThatIsAPublicKeyIsRefused() throws {
        let refused = [
            TestKeys.rsa.publicPEM,
            TestKeys.p256.publicPEM,
            TestKeys.rsa.privatePEM!,
            "junk before\n-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEA\n-----END RSA PUBLIC KEY-----\n",
            "---- BEGIN SSH2 PUBLIC KEY ----\nAAAAB3NzaC1yc2E\n---- END SSH2 PUBLIC KEY ----\n",
            "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host and some more text",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@x",
            "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEm",
        ]
        for secret in refused {
            XCTAssertThrowsError(try JWTKey.hmac(secret: secret)) {
                XCTAssertEqual($0 as? JWTKeyError, .secretLooksLikeAsymmetricKey, secret)
            }
        }
        // PyJWT's rule needs a BEGIN followed by its own END; these are ordinary secrets.
        let accepted = [
            "-----BEGIN PUBLIC KEY----- only a begin marker, no end marker at all",
            "-----END PUBLIC KEY----- then -----BEGIN PUBLIC KEY----- in the wrong order",
            "-----BEGIN PUBLIC KEY----- then -----END PRIVATE KEY----- do not match.",
            "my ssh-rsa is not at the start of this secret string",
        ]
        for secret in accepted { XCTAssertNoThrow(try JWTKey.hmac(secret: secret), secret) }
        XCTAssertThrowsError(try JWTKey.hmac(secret: [UInt8]())) { XCTAssertEqual($0 as? JWTKeyError, .emptySecret) }
        XCTAssertThrowsError(try JWTKey.hmac(secret: String(repeating: "x", count: 31))) {
            XCTAssertEqual($0 as? JWTKeyError, .secretTooShort(minimum: 32))
        }
        XCTAssertThrowsError(try JWTKey.hmac(secret: String(repeating: "x", count: 63), algorithm: .HS512)) {
            XCTAssertEqual($0 as? JWTKeyError, .secretTooShort(minimum: 64))
        }
    }

    // MARK: time claims

    func testExpiry() throws {
        let keys = try keySet()
        assertRejected(try hs256(#"{"exp":1699999999}"#), by: keys, .expired)
        assertRejected(try hs256(#"{"exp":1700000000}"#), by: keys, .expired)  // exp <= now
        assertAccepted(try hs256(#"{"exp":1700000001}"#), by: keys)
        assertAccepted(try hs256(#"{"sub":"no exp at all"}"#), by: keys)
        // Floats are truncated like Python's int().
        assertRejected(try hs256(#"{"exp":1700000000.9}"#), by: keys, .expired)
        assertAccepted(try hs256(#"{"exp":1700000001.5}"#), by: keys)
        assertAccepted(try hs256(#"{"exp":1.7000000015e9}"#), by: keys)
    }

    func testExpirationIsRequiredAndALifetimeBeyondTheCapRefused() throws {
        let keys = try keySet(maxLifetime: 86400)
        assertRejected(try hs256(#"{"sub":"no exp at all"}"#), by: keys, .missingClaim("exp"))
        assertAccepted(try hs256(#"{"exp":1700086400}"#), by: keys)
        assertRejected(try hs256(#"{"exp":1700086401}"#), by: keys, .lifetimeTooLong)
        assertRejected(try hs256(#"{"exp":4102444800}"#), by: keys, .lifetimeTooLong)
        assertAccepted(try hs256(#"{"exp":1700086410}"#), by: try keySet(leeway: 10, maxLifetime: 86400))
        XCTAssertEqual(JWTClaims().maxLifetime, 86400, "the default is a day")
    }

    func testLeeway() throws {
        let keys = try keySet(leeway: 10)
        assertRejected(try hs256(#"{"exp":1699999990}"#), by: keys, .expired)  // exp <= now - leeway
        assertAccepted(try hs256(#"{"exp":1699999991}"#), by: keys)
        assertAccepted(try hs256(#"{"nbf":1700000010}"#), by: keys)
        assertRejected(try hs256(#"{"nbf":1700000011}"#), by: keys, .immature)
        assertAccepted(try hs256(#"{"iat":1700000010}"#), by: keys)
        assertRejected(try hs256(#"{"iat":1700000011}"#), by: keys, .issuedInFuture)
    }

    func testNotBeforeAndIssuedAt() throws {
        let keys = try keySet()
        assertRejected(try hs256(#"{"nbf":1700000001}"#), by: keys, .immature)
        assertAccepted(try hs256(#"{"nbf":1700000000}"#), by: keys)
        assertRejected(try hs256(#"{"iat":1700000001}"#), by: keys, .issuedInFuture)
        assertAccepted(try hs256(#"{"iat":1700000000,"nbf":1699999000,"exp":1700000600}"#), by: keys)
        // PyJWT's order: iat, then nbf, then exp.
        assertRejected(try hs256(#"{"exp":1,"nbf":1800000000,"iat":1800000000}"#), by: keys, .issuedInFuture)
        assertRejected(try hs256(#"{"exp":1,"nbf":1800000000}"#), by: keys, .immature)
    }

    func testNonNumericTimesAreInvalid() throws {
        let keys = try keySet()
        for claim in ["exp", "nbf", "iat"] {
            for value in [#""1800000000""#, "true", "null", "[1800000000]", "{}", "1e400"] {
                assertRejected(try hs256(#"{"\#(claim)":\#(value)}"#), by: keys, .invalidClaim(claim))
            }
        }
    }

    // MARK: signature and keys

    func testTamperedPayloadAndSignature() throws {
        let keys = try keySet()
        let token = keys.issue(claims: [("sub", "alice"), ("exp", 1_700_000_600)])
        var parts = token.split(separator: ".").map(String.init)
        let evilPayload = Base64.urlEncode(Array(#"{"sub":"admin","exp":1700000600}"#.utf8))
        assertRejected([parts[0], evilPayload, parts[2]].joined(separator: "."), by: keys, .invalidSignature)
        var sig = Base64.urlDecode(parts[2])!
        sig[0] ^= 1
        parts[2] = Base64.urlEncode(sig)
        assertRejected(parts.joined(separator: "."), by: keys, .invalidSignature)
        assertRejected(String(token.dropLast(3)), by: keys, .invalidSignature)  // truncated signature
        assertRejected(token.split(separator: ".")[0...1].joined(separator: ".") + ".", by: keys, .invalidSignature)
        // The signature is checked before the claims: an expired forgery is a forgery.
        let expiredForgery = [parts[0], Base64.urlEncode(Array(#"{"exp":1}"#.utf8)), parts[2]].joined(separator: ".")
        assertRejected(expiredForgery, by: keys, .invalidSignature)
    }

    func testTamperedAsymmetricSignatures() throws {
        for algorithm in JWSAlgorithm.allCases where algorithm.family != .hmac {
            let keys = try keySet(TestKeys.key(for: algorithm))
            let token = keys.issue(claims: [("sub", "alice")])
            var parts = token.split(separator: ".").map(String.init)
            var sig = Base64.urlDecode(parts[2])!
            sig[sig.count / 2] ^= 0x40
            parts[2] = Base64.urlEncode(sig)
            assertRejected(parts.joined(separator: "."), by: keys, .invalidSignature)
        }
    }

    func testECDSASignatureInDERIsRefused() throws {
        let key = try TestKeys.key(for: .ES256)
        let token = try keySet(key).issue(claims: [("sub", "a")])
        let parts = token.split(separator: ".").map(String.init)
        let der = OpenSSLKey.ecdsaDERFromRaw(Base64.urlDecode(parts[2])!, width: 32)!
        assertRejected(parts[0] + "." + parts[1] + "." + Base64.urlEncode(der), by: try keySet(key), .invalidSignature)
    }

    func testWrongKey() throws {
        let other = try JWTKey.hmac(secret: String(repeating: "another secret ", count: 3))
        let token = try keySet(other).issue(claims: [("sub", "alice")])
        assertRejected(token, by: try keySet(), .invalidSignature)
        let otherRSA = try JWTKey.asymmetric(XCTUnwrap(OpenSSLKey.generate(.rsa(bits: 2048))), algorithm: .RS256)
        let rsToken = try keySet(otherRSA).issue(claims: [("sub", "alice")])
        assertRejected(rsToken, by: try keySet(TestKeys.key(for: .RS256)), .invalidSignature)
    }

    func testKidSelectsTheKey() throws {
        let current = try TestKeys.key(for: .ES256, kid: "2024")
        let previous = try TestKeys.key(for: .RS256, kid: "2023")
        let keys = try keySet(current, verify: [try JWTKey.pem(TestKeys.rsa.publicPEM, algorithm: .RS256, kid: "2023")])
        XCTAssertTrue(keys.issue(claims: []).hasPrefix(Base64.urlEncode(Array(#"{"alg":"ES256","typ":"JWT","kid":"2024"}"#.utf8))))
        assertAccepted(keys.issue(claims: [("sub", "a")]), by: keys)
        assertAccepted(try keySet(previous).issue(claims: [("sub", "a")]), by: keys)
        // No kid: the signing key.
        let noKid = try keySet(try TestKeys.key(for: .ES256)).issue(claims: [("sub", "a")])
        assertAccepted(noKid, by: keys)
        // A kid we do not have, and a kid whose key has another algorithm.
        assertRejected(try keySet(try TestKeys.key(for: .ES256, kid: "2025")).issue(claims: []), by: keys, .unknownKey)
        assertRejected(try keySet(try TestKeys.key(for: .PS256, kid: "2023")).issue(claims: []), by: keys, .algorithmNotAllowed)
        assertRejected(try hs256("{}", header: #"{"alg":"HS256","kid":7}"#), by: keys,
                       .malformed("Key ID header parameter must be a string"))
        XCTAssertThrowsError(try keySet(current, verify: [try TestKeys.key(for: .ES256, kid: "2024")])) {
            XCTAssertEqual($0 as? JWTKeyError, .duplicateKeyID("2024"))
        }
    }

    // MARK: registered claims

    func testSubAndJtiMustBeStrings() throws {
        let keys = try keySet()
        assertRejected(try hs256(#"{"sub":42}"#), by: keys, .invalidClaim("sub"))
        assertRejected(try hs256(#"{"sub":null}"#), by: keys, .invalidClaim("sub"))
        assertRejected(try hs256(#"{"sub":["a"]}"#), by: keys, .invalidClaim("sub"))
        assertRejected(try hs256(#"{"jti":1}"#), by: keys, .invalidClaim("jti"))
        assertAccepted(try hs256(#"{"sub":"42","jti":"x"}"#), by: keys)
    }

    func testAudience() throws {
        let none = try keySet()
        assertRejected(try hs256(#"{"aud":"api"}"#), by: none, .invalidAudience)
        assertRejected(try hs256(#"{"aud":["api"]}"#), by: none, .invalidAudience)
        assertAccepted(try hs256(#"{"aud":""}"#), by: none)  // PyJWT: an empty aud is no aud
        assertAccepted(try hs256(#"{"aud":[]}"#), by: none)

        let api = try keySet(audience: "api")
        assertAccepted(try hs256(#"{"aud":"api"}"#), by: api)
        assertAccepted(try hs256(#"{"aud":["web","api"]}"#), by: api)
        assertRejected(try hs256(#"{"aud":"web"}"#), by: api, .invalidAudience)
        assertRejected(try hs256(#"{"aud":["web","API"]}"#), by: api, .invalidAudience)
        assertRejected(try hs256(#"{"aud":["api",1]}"#), by: api, .invalidAudience)
        assertRejected(try hs256(#"{"aud":{"api":true}}"#), by: api, .invalidAudience)
        assertRejected(try hs256(#"{"sub":"a"}"#), by: api, .missingClaim("aud"))
        assertRejected(try hs256(#"{"aud":[]}"#), by: api, .missingClaim("aud"))
    }

    func testIssuer() throws {
        let keys = try keySet(issuer: "https://auth.example")
        assertAccepted(try hs256(#"{"iss":"https://auth.example"}"#), by: keys)
        assertRejected(try hs256(#"{"iss":"https://evil.example"}"#), by: keys, .invalidIssuer)
        assertRejected(try hs256(#"{"iss":["https://auth.example"]}"#), by: keys, .invalidIssuer)
        assertRejected(try hs256(#"{"sub":"a"}"#), by: keys, .missingClaim("iss"))
        assertAccepted(try hs256(#"{"iss":"anyone"}"#), by: try keySet())  // not configured: not checked
    }

    // MARK: header

    func testCritIsRefused() throws {
        let keys = try keySet()
        for crit in [#"["exp"]"#, #"["b64"]"#, "[]", #""b64""#] {
            assertRejected(try hs256("{}", header: #"{"alg":"HS256","crit":\#(crit),"exp":1,"b64":true}"#), by: keys,
                           .unsupportedCritical)
        }
    }

    func testUnencodedPayloadIsRefused() throws {
        assertRejected(try hs256("{}", header: #"{"alg":"HS256","b64":false}"#), by: try keySet(),
                       .malformed("Unencoded payload (b64: false) is not supported"))
        assertAccepted(try hs256("{}", header: #"{"alg":"HS256","b64":true}"#), by: try keySet())
    }

    func testHeaderMustBeAJSONObject() throws {
        let keys = try keySet()
        assertRejected(try hs256("{}", header: #"["HS256"]"#), by: keys, .malformed("Invalid header string: must be a json object"))
        assertRejected(try hs256("{}", header: "not json"), by: keys, .malformed("Invalid header string: Expecting value"))
        assertRejected(try hs256("{}", header: #"{"alg":"HS256","alg":"none"}"#), by: keys, .malformed("Duplicate header member"))
    }

    // MARK: shape

    func testOversizedTokenIsRefusedBeforeDecoding() throws {
        let keys = try keySet(maxLength: 256)
        var filler = ""
        var token = keys.issue(claims: [("pad", .string(filler))])
        while token.utf8.count < 256 {
            filler += "x"
            token = keys.issue(claims: [("pad", .string(filler))])
        }
        if token.utf8.count > 256 {  // base64 grows in steps; trim one filler char until it fits exactly or passes
            filler.removeLast()
            token = keys.issue(claims: [("pad", .string(filler))])
        }
        XCTAssertLessThanOrEqual(token.utf8.count, 256)
        assertAccepted(token, by: keys)
        assertRejected(token + String(repeating: "A", count: 257 - token.utf8.count), by: keys, .tooLong)
        // Garbage is refused for its size, not parsed.
        assertRejected(String(repeating: "!", count: 257), by: keys, .tooLong)
        assertRejected(String(repeating: "a.", count: 5000), by: try keySet(), .tooLong)
    }

    func testSegmentCount() throws {
        let keys = try keySet()
        let token = keys.issue(claims: [("sub", "a")])
        assertRejected("", by: keys, .malformed("Not enough segments"))
        assertRejected("abc", by: keys, .malformed("Not enough segments"))
        assertRejected(token.split(separator: ".")[0...1].joined(separator: "."), by: keys, .malformed("Not enough segments"))
        assertRejected(token + ".", by: keys, .malformed("Too many segments"))
        assertRejected(token + ".e30", by: keys, .malformed("Too many segments"))
    }

    func testStrictBase64url() throws {
        let keys = try keySet()
        let parts = keys.issue(claims: [("sub", "alice")]).split(separator: ".").map(String.init)
        func join(_ a: String, _ b: String, _ c: String) -> String { [a, b, c].joined(separator: ".") }
        assertRejected(join(parts[0] + "=", parts[1], parts[2]), by: keys, .malformed("Invalid header padding"))
        assertRejected(join(parts[0], parts[1] + "=", parts[2]), by: keys, .malformed("Invalid payload padding"))
        assertRejected(join(parts[0], parts[1], parts[2] + "="), by: keys, .malformed("Invalid crypto padding"))
        assertRejected(join(parts[0], parts[1], parts[2].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "+"),
                       by: keys, .malformed("Invalid crypto padding"))
        assertRejected(join(parts[0], parts[1] + " ", parts[2]), by: keys, .malformed("Invalid payload padding"))
        assertRejected(join("eyJhbGciOiJIUzI1NiJ9x", parts[1], parts[2]), by: keys, .malformed("Invalid header padding"))  // 4n+1 chars
        // Non-zero trailing bits: "e30" is "{}", "e31" decodes to the same byte only in lax decoders.
        assertRejected(join(parts[0], "e31", parts[2]), by: keys, .malformed("Invalid payload padding"))
    }

    func testPayloadMustBeAJSONObject() throws {
        let keys = try keySet()
        assertRejected(try hs256(#"["sub","alice"]"#), by: keys, .malformed("Invalid payload string: must be a json object"))
        assertRejected(try hs256(#""alice""#), by: keys, .malformed("Invalid payload string: must be a json object"))
        assertRejected(try hs256("not json"), by: keys, .malformed("Invalid payload string: Expecting value"))
        assertRejected(try hs256(#"{"sub":"a"} trailing"#), by: keys, .malformed("Invalid payload string: Extra data"))
        assertRejected(try hs256(#"{"sub":"alice","sub":"admin"}"#), by: keys, .malformed("Duplicate payload member"))
        assertRejected(try hs256(""), by: keys, .malformed("Invalid payload string: Expecting value"))
        let many = (0..<20).map { #""c\#($0)":\#($0)"# }.joined(separator: ",")
        assertAccepted(try hs256("{" + many + "}"), by: keys)
        assertRejected(try hs256("{" + many + #","c3":"again"}"#), by: keys, .malformed("Duplicate payload member"))
    }

    func testClaimsComeBackInOrder() throws {
        let keys = try keySet()
        let claims: [(String, JSON)] = [("sub", "alice"), ("exp", 1_700_000_600), ("scope", "me items"), ("roles", ["admin"]), ("n", .null)]
        let back = try keys.verify(keys.issue(claims: claims), now: now)
        XCTAssertEqual(back.map(\.0), ["sub", "exp", "scope", "roles", "n"])
        XCTAssertEqual(JSON.object(back), JSON.object(claims))
    }
}
