import Synchronization
import Dispatch
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

    /// RFC 4231's vectors, through a key that keeps its context between MACs: the same MAC
    /// every time, from every thread at once, and from the one-shot form (the empty key too).
    func testHMACKeyGivesRFC4231sMACsAgainAndAgain() throws {
        let cases: [(LibCrypto.Digest, [UInt8], String, String)] = [
            (.sha256, [UInt8](repeating: 0x0b, count: 20), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (.sha384, [UInt8](repeating: 0x0b, count: 20), "Hi There",
             "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"),
            (.sha512, [UInt8](repeating: 0x0b, count: 20), "Hi There",
             "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"),
            (.sha256, Array("Jefe".utf8), "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            (.sha256, [UInt8](repeating: 0xaa, count: 131), "Test Using Larger Than Block-Size Key - Hash Key First",
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        ]
        for (digest, secret, message, expected) in cases {
            let key = try XCTUnwrap(HMACKey(secret: secret, digest: digest))
            for _ in 0..<3 { XCTAssertEqual(LibCrypto.hex(key.mac(Array(message.utf8))), expected) }
            XCTAssertEqual(LibCrypto.hex(LibCrypto.hmac(digest, key: secret, data: Array(message.utf8))), expected)
            let results = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                for _ in 0..<200 { let mac = LibCrypto.hex(key.mac(Array(message.utf8))); results.withLock { $0.append(mac) } }
            }
            XCTAssertEqual(Set(results.withLock { $0 }), [expected], "one context shared by threads")
        }
        XCTAssertEqual(LibCrypto.hex(LibCrypto.hmac(.sha256, key: [], data: [])),
                       "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad", "the empty key")
        XCTAssertEqual(LibCrypto.hex(LibCrypto.hmac(.sha256, key: [], data: Array("abc".utf8))),
                       "fd7adb152c05ef80dccf50a1fa4c05d5a3ec6da95575fc312ae7c5d091836351")
    }
}
