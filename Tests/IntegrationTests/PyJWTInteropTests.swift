import Foundation
import XCTest
import Gatehouse

/// Tokens cross the border with PyJWT both ways: PyJWT verifies what we issue and we
/// verify what PyJWT issues, with the same keys, for one algorithm of each family.
final class PyJWTInteropTests: XCTestCase {
    static let algorithms: [JWSAlgorithm] = [.HS256, .RS256, .PS256, .ES256, .EdDSA]

    /// Reads a JSON list of jobs on stdin, answers a JSON list of results on stdout.
    static let script = #"""
        import json, sys, jwt
        results = []
        for job in json.load(sys.stdin):
            with open(job["key_file"], "rb") as f:
                key = f.read()
            if job["op"] == "encode":
                results.append({"token": jwt.encode(job["claims"], key, algorithm=job["alg"], headers=job.get("headers"))})
                continue
            try:
                claims = jwt.decode(job["token"], key, algorithms=[job["alg"]])
                results.append({"ok": True, "claims": claims, "header": jwt.get_unverified_header(job["token"])})
            except jwt.PyJWTError as e:
                results.append({"ok": False, "error": type(e).__name__})
        json.dump(results, sys.stdout)
        """#

    var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "gatehouse-pyjwt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }


    /// Runs the script over `jobs` and returns its results, failing the test when Python or PyJWT is missing.
    func runPyJWT(_ jobs: [JSON]) throws -> [JSON] {
        let scriptPath = folder + "/interop.py"
        try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let output = try TestPython.run([scriptPath], stdin: Data(JSON.array(jobs).bytes))
        return try XCTUnwrap(JSON.parse(Array(output)).arrayValue)
    }

    struct Material {
        let key: JWTKey  // signing key, kid "k-ALG"
        let signFile: String  // what PyJWT signs with: the secret or the private PEM
        let verifyFile: String  // what PyJWT verifies with: the secret or the public PEM
    }

    func material(_ algorithm: JWSAlgorithm) throws -> Material {
        let kid = "k-\(algorithm.rawValue)"
        func file(_ name: String, _ text: String) throws -> String {
            let path = folder + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        switch algorithm.family {
        case .hmac:
            let secret = LibCrypto.hex(LibCrypto.randomBytes(32))
            let path = try file("secret", secret)
            return Material(key: try JWTKey.hmac(secret: secret, algorithm: algorithm, kid: kid), signFile: path, verifyFile: path)
        default:
            let spec: OpenSSLKey.GenerateSpec
            switch algorithm.family {
            case .ecdsa: spec = .ec(curve: "P-256")
            case .ed25519: spec = .ed25519
            default: spec = .rsa(bits: 2048)
            }
            let pkey = try XCTUnwrap(OpenSSLKey.generate(spec))
            return Material(key: try JWTKey.asymmetric(pkey, algorithm: algorithm, kid: kid),
                            signFile: try file("\(kid).pem", pkey.privatePEM!),
                            verifyFile: try file("\(kid).pub.pem", pkey.publicPEM))
        }
    }

    func testTokensCrossBothWays() throws {
        let now = Int64(Date().timeIntervalSince1970)
        let claims: [(String, JSON)] = [("sub", "johndoe"), ("exp", .int(Int(now) + 600)), ("scope", "me items")]
        let expiredClaims: [(String, JSON)] = [("sub", "johndoe"), ("exp", .int(Int(now) - 10))]
        let materials = try Self.algorithms.map(material)

        // Ours: a key set per algorithm (signing with kid), and one without kid for byte comparison.
        var jobs: [JSON] = []
        var ours: [String] = []
        for (algorithm, m) in zip(Self.algorithms, materials) {
            let token = try JWTKeySet(signingKey: m.key).issue(claims: claims)
            ours.append(token)
            let alg = JSON.string(algorithm.rawValue)
            jobs.append(.object([("op", "decode"), ("alg", alg), ("key_file", .string(m.verifyFile)), ("token", .string(token))]))
            jobs.append(.object([("op", "encode"), ("alg", alg), ("key_file", .string(m.signFile)), ("claims", .object(claims)),
                                 ("headers", .object([("kid", .string(m.key.kid!))]))]))
            jobs.append(.object([("op", "encode"), ("alg", alg), ("key_file", .string(m.signFile)), ("claims", .object(claims))]))
            jobs.append(.object([("op", "encode"), ("alg", alg), ("key_file", .string(m.signFile)), ("claims", .object(expiredClaims)),
                                 ("headers", .object([("kid", .string(m.key.kid!))]))]))
            let ourExpired = try JWTKeySet(signingKey: m.key).issue(claims: expiredClaims)
            jobs.append(.object([("op", "decode"), ("alg", alg), ("key_file", .string(m.verifyFile)), ("token", .string(ourExpired))]))
        }
        let results = try runPyJWT(jobs)
        XCTAssertEqual(results.count, jobs.count)

        // Our verifier: signs with HS256 (kid k-HS256) and holds every other key by kid, public halves only.
        var verifyKeys: [JWTKey] = []
        for (algorithm, m) in zip(Self.algorithms, materials) where algorithm.family != .hmac {
            verifyKeys.append(try JWTKey.pem(m.key.publicPEM!, algorithm: algorithm, kid: m.key.kid))
        }
        let verifier = try JWTKeySet(signingKey: materials[0].key, verificationKeys: verifyKeys)

        for (index, (algorithm, m)) in zip(Self.algorithms, materials).enumerated() {
            let name = algorithm.rawValue
            let r = Array(results[(index * 5)..<(index * 5 + 5)])
            // 1. PyJWT verified ours, and read the same header and claims.
            XCTAssertEqual(r[0]["ok"], true, "\(name): PyJWT refused our token: \(r[0]["error"]?.stringValue ?? "")")
            XCTAssertEqual(r[0]["claims"], .object(claims), name)
            XCTAssertEqual(r[0]["header"], .object([("alg", .string(name)), ("typ", "JWT"), ("kid", .string(m.key.kid!))]), name)

            // 2. We verify PyJWT's token, the key chosen by its kid.
            let theirs = try XCTUnwrap(r[1]["token"]?.stringValue)
            XCTAssertEqual(JSON.object(try verifier.verify(theirs, now: now)), .object(claims), name)

            // 3. Without kid, PyJWT's token is ours byte for byte where the signature is deterministic.
            let theirsNoKid = try XCTUnwrap(r[2]["token"]?.stringValue)
            let oursNoKid = try JWTKeySet(signingKey: m.key.withKeyID(nil)).issue(claims: claims)
            if [.HS256, .RS256, .EdDSA].contains(algorithm) {
                XCTAssertEqual(theirsNoKid, oursNoKid, name)
            }
            // Without kid it selects our default key: accepted for HS256 only.
            if algorithm == .HS256 {
                XCTAssertNoThrow(try verifier.verify(theirsNoKid, now: now))
            } else {
                XCTAssertThrowsError(try verifier.verify(theirsNoKid, now: now)) {
                    XCTAssertEqual($0 as? JWTError, .algorithmNotAllowed, name)
                }
            }

            // 4. PyJWT's expired token is refused here; ours is refused there.
            let theirsExpired = try XCTUnwrap(r[3]["token"]?.stringValue)
            XCTAssertThrowsError(try verifier.verify(theirsExpired, now: now)) { XCTAssertEqual($0 as? JWTError, .expired, name) }
            XCTAssertEqual(r[4]["ok"], false, name)
            XCTAssertEqual(r[4]["error"], "ExpiredSignatureError", name)
        }
    }
}
