import Foundation
import XCTest
import Gatehouse

/// The JWT attacks, one table, through nginx against a Gatehouse that signs with ES256:
/// every forged, confused, malformed or outdated token is the same 401, never a 500.
final class JWTAttackThroughNginxTests: XCTestCase {
    func testEveryAttackIsTheSame401() throws {
        let folder = NSTemporaryDirectory() + "gatehouse-jwt-attack-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let serverKey = try XCTUnwrap(OpenSSLKey.generate(.ec(curve: "P-256")))
        let keyPath = folder + "/es256.pem"
        try XCTUnwrap(serverKey.privatePEM).write(toFile: keyPath, atomically: true, encoding: .utf8)
        chmod(keyPath, 0o600)
        let retired = try XCTUnwrap(OpenSSLKey.generate(.ec(curve: "P-256")))
        // nginx's header buffers raised, so that the huge token reaches Gatehouse's own limit.
        let e = try E2E(config: ["jwt_algorithm": "ES256", "jwt_private_key_file": keyPath, "jwt_key_id": "current"],
                        nginxHTTPDirectives: "large_client_header_buffers 4 32k;")
        defer { e.stop() }
        try e.addUser("carol", "carolpass", scopes: "me")
        try e.addUser("dave", "davepass", scopes: "me")

        let signing = try JWTKey.asymmetric(serverKey, algorithm: .ES256, kid: "current")
        let good = try e.token(scope: "me")
        XCTAssertEqual(try e.bearer("/auth/users/me/", good).status, 200)
        let claims = try XCTUnwrap(JSONSerialization.jsonObject(with: try XCTUnwrap(E2E.base64URL(good.split(separator: ".")[1]))) as? [String: Any])
        func payload(_ changes: [String: Any] = [:], removing: [String] = []) -> [UInt8] {
            var c = claims
            for (k, v) in changes { c[k] = v }
            for k in removing { c[k] = nil }
            return Array((try? JSONSerialization.data(withJSONObject: c, options: [.sortedKeys])) ?? Data())
        }
        func b64(_ bytes: [UInt8]) -> String { Base64.urlEncode(bytes) }
        func b64(_ text: String) -> String { Base64.urlEncode(Array(text.utf8)) }
        func sign(_ header: [(String, JSON)], _ body: [UInt8], with key: JWTKey = signing) -> String {
            JWS.sign(header: header, payload: body, key: key)
        }
        let es: [(String, JSON)] = [("alg", "ES256"), ("typ", "JWT"), ("kid", "current")]
        let parts = good.split(separator: ".").map(String.init)
        let pem = Array(serverKey.publicPEM.utf8)
        let hmacWithPublicKey = try? JWTKey.hmac(secret: pem + Array(repeating: 0x0A, count: 0), algorithm: .HS256)
        let attacker = try XCTUnwrap(OpenSSLKey.generate(.ec(curve: "P-256")))
        let attackerKey = try JWTKey.asymmetric(attacker, algorithm: .ES256, kid: "current")
        let jwk = try XCTUnwrap(attackerKey.publicJWK)

        // Accounts changed since their tokens were issued.
        let carol = try e.token("carol", "carolpass", scope: "me")
        let dave = try e.token("dave", "davepass", scope: "me")
        let john = try e.token(scope: "me")
        let offline = try XCTUnwrapRefresh(e)
        try e.cli(["user", "delete", "carol"])
        try e.addUser("carol", "carolpass", scopes: "me")
        try e.cli(["user", "disable", "dave"])
        try e.cli(["user", "set-password", "johndoe", "--password-stdin"], stdin: "secret2\n")

        var attacks: [(String, String)] = [
            ("alg none", b64(#"{"alg":"none","typ":"JWT"}"#) + "." + parts[1] + "."),
            ("alg None", b64(#"{"alg":"None","typ":"JWT"}"#) + "." + parts[1] + "."),
            ("alg NONE", b64(#"{"alg":"NONE"}"#) + "." + parts[1] + "." + parts[2]),
            ("alg nOnE", b64(#"{"alg":"nOnE"}"#) + "." + parts[1] + "."),
            ("kid traversal", sign([("alg", "ES256"), ("kid", "../../../../etc/passwd")], payload())),
            ("kid SQL", sign([("alg", "ES256"), ("kid", "' OR '1'='1")], payload())),
            ("kid unknown", sign([("alg", "ES256"), ("kid", "nope")], payload())),
            ("kid empty", sign([("alg", "ES256"), ("kid", "")], payload())),
            ("jwk header with the attacker's key", sign(es + [("jwk", jwk)], payload(), with: attackerKey)),
            ("jku header", sign(es + [("jku", "http://127.0.0.1:1/keys")], payload(), with: attackerKey)),
            ("x5u header", sign(es + [("x5u", "http://127.0.0.1:1/cert")], payload(), with: attackerKey)),
            ("x5c header", sign(es + [("x5c", ["MIIB"])], payload(), with: attackerKey)),
            ("crit", sign(es + [("crit", ["exp"])], payload())),
            ("b64 false", sign(es + [("b64", false)], payload())),
            ("nested JWT", sign(es + [("cty", "JWT")], Array(good.utf8))),
            ("padding", parts[0] + "=." + parts[1] + "." + parts[2]),
            ("whitespace", parts[0] + " ." + parts[1] + "." + parts[2]),
            ("standard base64", parts[0].replacingOccurrences(of: "-", with: "+") + "+." + parts[1] + "." + parts[2]),
            ("four segments", good + ".x"),
            ("two segments", parts[0] + "." + parts[1]),
            ("huge header", b64(#"{"alg":"ES256","x":""# + String(repeating: "A", count: 9000) + #""}"#) + "." + parts[1] + "." + parts[2]),
            ("exp as string", sign(es, payload(["exp": "9999999999"]))),
            ("exp in the past", sign(es, payload(["exp": 1000]))),
            ("exp decades away", sign(es, payload(["exp": 4_102_444_800]))),
            ("no exp", sign(es, payload(removing: ["exp"]))),
            ("no uid", sign(es, payload(removing: ["uid"]))),
            ("exp null", sign(es, payload(["exp": NSNull()]))),
            ("nbf in the future", sign(es, payload(["nbf": 4_102_444_800]))),
            ("iat in the future", sign(es, payload(["iat": 4_102_444_800]))),
            ("iat as bool", sign(es, payload(["iat": true]))),
            ("uid as string", sign(es, payload(["uid": "1"]))),
            ("sub as number", sign(es, payload(["sub": 1]))),
            ("sub of another user", sign(es, payload(["sub": "root"]))),
            ("sid forged", sign(es, payload(["sid": "AAAAAAAAAAAAAAAAAAAAAA"]))),
            ("cv stale", sign(es, payload(["cv": 7]))),
            ("signed by a retired key", sign(es, payload(), with: try JWTKey.asymmetric(retired, algorithm: .ES256, kid: "current"))),
            ("deleted and re-created user", carol),
            ("disabled user", dave),
            ("issued before a password change", john),
            ("refresh token as access token", offline),
        ]
        if let hmacWithPublicKey {
            attacks.append(("HS256 with the public key", sign([("alg", "HS256"), ("typ", "JWT"), ("kid", "current")], payload(),
                                                               with: hmacWithPublicKey)))
        }
        attacks.append(("HS256 with the public key, no kid", b64(#"{"alg":"HS256","typ":"JWT"}"#) + "." + parts[1] + "."
            + b64(LibCrypto.hmac(.sha256, key: pem, data: Array((b64(#"{"alg":"HS256","typ":"JWT"}"#) + "." + parts[1]).utf8)))))
        attacks.append(("duplicate header member", b64(#"{"alg":"ES256","alg":"none","kid":"current"}"#) + "." + parts[1] + "." + parts[2]))
        attacks.append(("duplicate claim", sign(es, Array(#"{"sub":"johndoe","sub":"root","exp":9999999999}"#.utf8))))

        for (name, token) in attacks {
            let r = try e.bearer("/auth/users/me/", token)
            XCTAssertEqual(r.status, 401, "\(name): \(r.text)")
            XCTAssertEqual(r.text, E2E.couldNotValidate, name)
            XCTAssertEqual(r.header("www-authenticate"), #"Bearer scope="me""#, name)
        }
        XCTAssertGreaterThanOrEqual(attacks.count, 40)
        XCTAssertFalse(e.h.serverLog().contains("failed:"), "no request ended in a 500")
    }

    /// A refresh token, to send where an access token belongs.
    func XCTUnwrapRefresh(_ e: E2E) throws -> String {
        let r = try e.login(scope: "me offline_access")
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
        return try XCTUnwrap(body["refresh_token"] as? String)
    }
}
