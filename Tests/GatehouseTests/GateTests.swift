import XCTest
@testable import Gatehouse

/// /check's identity for upstreams, and the keys published to verify it.
final class GateTests: XCTestCase {
    func testIdentityHeadersInBothStyles() throws {
        let t = try TestApp()
        let basic = TestApp.basic("johndoe", "secret")
        let r = t.request("GET", "/check", headers: [("Authorization", basic)])
        XCTAssertResponse(r, 204, "", headers: [
            ("x-gatehouse-user", "johndoe"), ("x-gatehouse-user-id", "1"), ("x-gatehouse-email", "johndoe@example.com"),
            ("x-gatehouse-name", "John Doe"), ("x-gatehouse-scopes", "me items"), ("x-gatehouse-roles", ""),
            ("x-gatehouse-session", ""),
        ])
        XCTAssertNil(r.headers["x-gatehouse-assertion"], "off by default")
        let authelia = try TestApp(["identity_headers": "authelia"])
        let a = authelia.request("GET", "/check", headers: [("Authorization", basic)])
        XCTAssertEqual(a.headers["remote-user"], "johndoe")
        XCTAssertEqual(a.headers["remote-email"], "johndoe@example.com")
        XCTAssertEqual(a.headers["remote-name"], "John Doe")
        XCTAssertNil(a.headers["x-gatehouse-user"])
    }

    func testTheAssertionIsShortLivedAndVerifiesWithThePublishedKey() throws {
        let t = try TestApp(["identity_assertion": "true", "identity_assertion_audience": "reports"])
        let r = t.request("GET", "/check", headers: [("Authorization", TestApp.basic("johndoe", "secret"))])
        let assertion = try XCTUnwrap(r.headers["x-gatehouse-assertion"])
        let jwks = try JSON.parse(t.request("GET", "/.well-known/jwks.json").body)
        let keys = try XCTUnwrap(jwks["keys"]?.arrayValue)
        XCTAssertEqual(keys.count, 1, "the HS256 token key is never published")
        XCTAssertEqual(keys[0].objectValue?.map(\.0), ["crv", "kty", "x", "kid", "alg", "use"])
        let key = try XCTUnwrap(t.app.assertion?.key)
        let verified = try JWS.verify(assertion, key: key)
        let claims = try JSON.parse(verified.payload)
        XCTAssertEqual(claims["sub"], "johndoe")
        XCTAssertEqual(claims["aud"], "reports")
        XCTAssertEqual(claims["exp"], .int(Int(t.now) + 60))
        XCTAssertEqual(keys[0]["kid"], .optional(key.kid))
        XCTAssertEqual(try IdentityAssertion.load(config: t.app.config)?.key.kid, key.kid,
                       "the key is kept in the data folder and its id is its RFC 7638 thumbprint")
    }

    func testAsymmetricTokenKeysArePublished() throws {
        let rsa = try XCTUnwrap(JWTKey.asymmetric(TestKeys.rsa, algorithm: .RS256, kid: "r1").publicJWK)
        XCTAssertEqual(rsa.objectValue?.map(\.0), ["e", "kty", "n", "kid", "alg", "use"])
        XCTAssertEqual(rsa["e"], "AQAB")
        let ec = try XCTUnwrap(JWTKey.asymmetric(TestKeys.p256, algorithm: .ES256).publicJWK)
        XCTAssertEqual(ec["crv"], "P-256")
        XCTAssertEqual(Base64.urlDecode(try XCTUnwrap(ec["x"]?.stringValue))?.count, 32)
        XCTAssertNil(try TestKeys.hmac().publicJWK)
    }
}
