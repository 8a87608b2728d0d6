import XCTest
@testable import Gatehouse

/// Inputs that Tests/Fuzz's libFuzzer targets found breaking something, each kept as a test
/// named after what it defends. Memory errors show as failures only under a sanitizer:
/// `swift test --sanitize=address --filter FuzzRegressionTests`.
final class FuzzRegressionTests: XCTestCase {
    /// fuzz-jws and fuzz-app, on their first input: HMACKey handed EVP_MAC_init an OSSL_PARAM
    /// whose "digest" key was a temporary C string already freed (ASan: heap-use-after-free in
    /// OSSL_PARAM_locate). Without the parameter the MAC is not the one asked for, or none.
    func testHMACKeyKeepsItsDigestParameterAliveThroughInit() throws {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let vectors: [(LibCrypto.Digest, String)] = [
            (.sha256, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            (.sha384, "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"),
            (.sha512, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"),
        ]
        for (digest, expected) in vectors {
            for _ in 0..<50 {
                let key = try XCTUnwrap(HMACKey(secret: Array("Jefe".utf8), digest: digest))
                XCTAssertEqual(LibCrypto.hex(key.mac(Array("what do ya want for nothing?".utf8))), expected)
            }
        }
    }

    /// fuzz-request-builder: `PATH_INFO=HEADenST` gave a Request whose path did not start with
    /// "/", against Request's own contract (and the router's assumption).
    func testPathInfoWithoutLeadingSlashIsRootedAtSlash() {
        XCTAssertEqual(Request(method: "POST", path: "HEADenST").path, "/HEADenST")
        XCTAssertEqual(Request(method: "GET", path: "").path, "/")
        XCTAssertEqual(Request(method: "GET", path: "/users/me/").path, "/users/me/")
    }

    /// fuzz-app: root's PATCH /users/1 with a scope holding a space passed the model, and
    /// the store's own check refused it at the write: a 500. Now (the model's scope-token
    /// pattern) a 422 naming the item, and nothing of the user changes.
    func testAdminPatchWithAnInvalidScopeIsA422AndChangesNothing() throws {
        let t = try TestApp()
        try t.app.store.createRole(name: "admin", permissions: ["users:read", "users:write", "users:roles"], now: t.now)
        let root = try t.addUser("root", "rootpass", scopes: ["me", "items"])
        try t.app.store.grantRole(userID: root.id, role: "admin")
        let token = try t.token("root", "rootpass", scope: "me items users:read users:write users:roles")
        let john = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        let r = t.request(
            "PATCH", "/users/\(john.id)",
            headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
            body: #"{"disabled":false,"full_name":"J","scopes":["me"," Basitttt"]}"#)
        XCTAssertEqual(r.status, 422, String(decoding: r.body, as: UTF8.self))
        let issue = try XCTUnwrap(JSON.parse(r.body)["detail"]?.arrayValue?.first)
        XCTAssertEqual(issue["loc"], ["body", "scopes", 1])
        XCTAssertEqual(issue["input"], " Basitttt")
        let after = try XCTUnwrap(t.app.store.user(named: "johndoe"))
        XCTAssertEqual(after.fullName, "John Doe")
        XCTAssertEqual(after.scopes, ["me", "items"])
    }
}
