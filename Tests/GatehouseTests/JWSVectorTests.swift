import XCTest
@testable import Gatehouse

/// Published vectors (RFC 7515 appendix A, RFC 8037 appendix A) and round trips
/// through every algorithm of the table.
final class JWSVectorTests: XCTestCase {
    // RFC 7515 §A.1–A.3 share this payload: {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}
    static let rfcPayload = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"

    func testRFC7515A1HS256Verifies() throws {
        let k = Base64.urlDecode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")!
        let key = try JWTKey.hmac(secret: k, algorithm: .HS256)
        let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + Self.rfcPayload
            + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        let verified = try JWS.verify(token, key: key)
        XCTAssertEqual(verified.header.map(\.0), ["typ", "alg"])
        let claims = try JWS.parseObject(verified.payload, what: "payload")
        XCTAssertEqual(JSON.object(claims), .object([("iss", "joe"), ("exp", 1300819380), ("http://example.com/is_root", true)]))
        // The signature recomputes to the published bytes.
        let input = Array(token.utf8.dropLast(44))
        XCTAssertEqual(Base64.urlEncode(JWS.signature(over: input, key: key)), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        // Claims as of the RFC's time: exp 1300819380 is still in the future one second before.
        XCTAssertNoThrow(try JWTClaims().validate(claims, now: 1300819379))
        XCTAssertThrowsError(try JWTClaims().validate(claims, now: 1300819380)) { XCTAssertEqual($0 as? JWTError, .expired) }
    }

    func testRFC7515A2RS256SignatureIsThePublishedOne() throws {
        let key = try JWTKey.pem(TestKeys.rfc7515RSAPrivate, algorithm: .RS256)
        let input = Array(("eyJhbGciOiJSUzI1NiJ9." + Self.rfcPayload).utf8)
        let expected = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
        XCTAssertEqual(Base64.urlEncode(JWS.signature(over: input, key: key)), expected)
        // And the token verifies with the public half alone.
        let publicKey = try JWTKey.pem(key.publicPEM!, algorithm: .RS256)
        XCTAssertFalse(publicKey.canSign)
        XCTAssertNoThrow(try JWS.verify(String(decoding: input, as: UTF8.self) + "." + expected, key: publicKey))
    }

    func testRFC7515A3ES256PublishedTokenVerifies() throws {
        let key = try JWTKey.pem(TestKeys.rfc7515ECPublic, algorithm: .ES256)
        let token = "eyJhbGciOiJFUzI1NiJ9." + Self.rfcPayload
            + ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
        XCTAssertNoThrow(try JWS.verify(token, key: key))
        // One bit flipped in s: refused.
        let tampered = String(token.dropLast()) + "g"
        XCTAssertThrowsError(try JWS.verify(tampered, key: key)) { XCTAssertEqual($0 as? JWTError, .invalidSignature) }
    }

    func testRFC8037Ed25519SignatureIsThePublishedOne() throws {
        let seed = Base64.urlDecode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")!
        let pkey = try XCTUnwrap(OpenSSLKey.ed25519(privateSeed: seed))
        let key = try JWTKey.asymmetric(pkey, algorithm: .EdDSA)
        let input = Array("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc".utf8)
        let signature = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
        XCTAssertEqual(Base64.urlEncode(JWS.signature(over: input, key: key)), signature)
        let verified = try JWS.verify(String(decoding: input, as: UTF8.self) + "." + signature, key: key)
        XCTAssertEqual(String(decoding: verified.payload, as: UTF8.self), "Example of Ed25519 signing")
    }

    func testRoundTripEveryAlgorithm() throws {
        let claims: [(String, JSON)] = [("sub", "alice"), ("exp", 1_700_000_600), ("scope", "me items")]
        for algorithm in JWSAlgorithm.allCases {
            let key = try TestKeys.key(for: algorithm, kid: "k-\(algorithm.rawValue)")
            let keys = try JWTKeySet(signingKey: key)
            let token = keys.issue(claims: claims)
            let header = String(decoding: Base64.urlDecode(token.split(separator: ".")[0])!, as: UTF8.self)
            XCTAssertEqual(header, #"{"alg":"\#(algorithm.rawValue)","typ":"JWT","kid":"k-\#(algorithm.rawValue)"}"#)
            let back = try keys.verify(token, now: 1_700_000_000)
            XCTAssertEqual(JSON.object(back), JSON.object(claims), algorithm.rawValue)
            if case .ecdsa(_, let width) = algorithm.family {
                XCTAssertEqual(Base64.urlDecode(token.split(separator: ".")[2])!.count, 2 * width)
            }
        }
    }

    func testIssuedHeaderIsExactlyPyJWTsWithoutKid() throws {
        let keys = try JWTKeySet(signingKey: TestKeys.hmac())
        let token = keys.issue(claims: [("sub", "johndoe"), ("exp", 1_700_000_600)])
        let parts = token.split(separator: ".").map(String.init)
        XCTAssertEqual(parts[0], "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9")  // {"alg":"HS256","typ":"JWT"}
        XCTAssertEqual(String(decoding: Base64.urlDecode(parts[1])!, as: UTF8.self), #"{"sub":"johndoe","exp":1700000600}"#)
        XCTAssertEqual(parts[2], Base64.urlEncode(LibCrypto.hmac(.sha256, key: TestKeys.secret, data: Array((parts[0] + "." + parts[1]).utf8))))
    }

    func testECDSASignatureFormatConversion() throws {
        // DER with a short r (leading zero dropped) comes back left-padded, and converts back to the same DER.
        let raw = [UInt8](repeating: 0, count: 1) + [UInt8](repeating: 0x11, count: 31) + [UInt8](repeating: 0x22, count: 32)
        let der = try XCTUnwrap(OpenSSLKey.ecdsaDERFromRaw(raw, width: 32))
        XCTAssertEqual(der[0], 0x30)
        XCTAssertEqual(OpenSSLKey.ecdsaRawFromDER(der, width: 32), raw)
        XCTAssertNil(OpenSSLKey.ecdsaDERFromRaw(Array(raw.dropLast()), width: 32))
        XCTAssertNil(OpenSSLKey.ecdsaRawFromDER([0x30, 0x02, 0x01], width: 32))
    }

    func testHMACKeyMatchesOneShotHMAC() throws {
        for digest in [LibCrypto.Digest.sha256, .sha384, .sha512] {
            let key = try XCTUnwrap(HMACKey(secret: TestKeys.secret, digest: digest))
            for message in [[], Array("abc".utf8), [UInt8](repeating: 7, count: 1000)] as [[UInt8]] {
                XCTAssertEqual(key.mac(message), LibCrypto.hmac(digest, key: TestKeys.secret, data: message))
            }
        }
    }
}
