import Foundation
import XCTest

/// Oversized and malformed credentials through nginx: never a 5xx, never a hash or a
/// secret in an answer. nginx's header buffers are raised to 64k so that 20 KB headers
/// reach Gatehouse; 100 KB ones are nginx's to refuse.
final class HostileInputThroughNginxTests: E2ETestCase {
    override class var config: [String: String] { ["cors_allow_origins": "https://app.example.org"] }
    override class var nginxHTTPDirectives: String { "large_client_header_buffers 4 64k;" }

    /// Headers from a file (`curl -H @file`), so that any byte but CR, LF and NUL can be sent.
    func getWithRawHeader(_ path: String, _ header: [UInt8]) throws -> HTTPResult {
        let file = e.h.dir + "/header-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: file, contents: Data(header + [10]))
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try e.curl(["-H", "@" + file, e.url(path)])
    }

    func assertNoServerError(_ r: HTTPResult, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue((400..<500).contains(r.status) || r.status == 200, "\(what): \(r.status) \(r.text.prefix(200))",
                      file: file, line: line)
    }

    func testOversizedHeadersAreRefusedByNginxOrGatehouseNeverWith5xx() throws {
        let huge = String(repeating: "A", count: 100_000)
        for mount in ["", "/auth"] {
            for header in ["Authorization: Bearer \(huge)", "Authorization: Basic \(huge)", "X-API-Key: \(huge)", "Cookie: api_key=\(huge)"] {
                let r = try e.get(mount + "/users/me/", [header])
                XCTAssertTrue([400, 494].contains(r.status), "nginx refuses a 100 KB header itself: \(r.status)")
            }
            XCTAssertTrue([400, 414].contains(try e.get(mount + "/users/me/?api_key=\(huge)").status))

            // 20 KB reaches Gatehouse, which answers like for any other bad credential.
            let bogus = String(repeating: "eyJhbGciOiJIUzI1NiJ9.", count: 1) + String(repeating: "x", count: 20_000) + ".sig"
            XCTAssertAnswer(try e.bearer(mount + "/users/me/", bogus), 401, E2E.couldNotValidate,
                            [("www-authenticate", #"Bearer scope="me""#)])
            XCTAssertAnswer(try e.bearer(mount + "/users/me/", String(repeating: "a", count: 20_000)), 401, E2E.couldNotValidate)
            let longKey = "gh_0123456789abcdef_" + String(repeating: "A", count: 20_000)
            XCTAssertAnswer(try e.get(mount + "/users/me/", ["X-API-Key: \(longKey)"]), 401, E2E.invalidAPIKey,
                            [("www-authenticate", "APIKey")])
            XCTAssertAnswer(try e.get(mount + "/users/me/?api_key=\(longKey)"), 401, E2E.invalidAPIKey)
            let longPassword = String(repeating: "p", count: 15_000)
            XCTAssertAnswer(try e.get(mount + "/users/me/", [], ["-u", "johndoe:\(longPassword)"]), 401, E2E.incorrectLogin,
                            [("www-authenticate", "Basic")])
            XCTAssertAnswer(try e.login("johndoe", longPassword, mount: mount), 400, E2E.incorrectLogin)
        }
    }

    func testOriginsWithOddBytes() throws {
        let odd: [[UInt8]] = [
            Array("https://app.example.org".utf8) + [0xFF],
            Array("https://app.example.org".utf8) + [0x01],
            Array("https://\u{E9}.example.org".utf8),
            [0xC3, 0x28, 0xA0, 0xA1],
            Array("null".utf8),
            [],
            Array(String(repeating: "a", count: 20_000).utf8),
        ]
        for bytes in odd {
            let r = try getWithRawHeader("/auth/users/me/", Array("Origin: ".utf8) + bytes)
            assertNoServerError(r, "Origin \(bytes.prefix(30))")
            if r.status == 401 {
                XCTAssertEqual(r.text, E2E.notAuthenticated)
                XCTAssertNil(r.header("access-control-allow-origin"), "only the exact origin is allowed: \(bytes.prefix(30))")
                XCTAssertEqual(r.header("vary"), "Origin")
            }
        }
        // The same path with the exact origin: allowed, so the checks above can fail.
        XCTAssertEqual(try getWithRawHeader("/auth/health", Array("Origin: https://app.example.org".utf8)).header("access-control-allow-origin"),
                       "https://app.example.org")
    }

    func testMalformedBasicVariants() throws {
        func b64(_ s: [UInt8]) -> String { Data(s).base64EncodedString() }
        let malformed = [
            "Basic", "Basic ", "Basic !!!!", "Basic ====", "Basic am9obmRvZTpzZWNyZXQ",
            "Basic " + b64(Array("nocolon".utf8)), "Basic " + b64(Array("j\u{F6}hn:x".utf8)), "Basic " + b64([0xFF, 0x3A, 0x78]),
            "Basic " + b64(Array("johndoe:secret".utf8)).replacingOccurrences(of: "=", with: "%3D"),
            "Basic " + String(repeating: "QUFB", count: 5_000) + "x",
        ]
        // FastAPI's b64decode(validate=False) would skip the space and accept the extra "=",
        // both giving johndoe:secret; Gatehouse's decoder is strict (HTTPBasic.swift).
        let strictOnly = ["Basic am9o bmRvZTpzZWNyZXQ=", "Basic am9obmRvZTpzZWNyZXQ=="]
        for mount in ["", "/auth"] {
            for value in malformed + strictOnly {
                XCTAssertAnswer(try e.get(mount + "/users/me/", ["Authorization: \(value)"]), 401, E2E.notAuthenticated,
                                [("www-authenticate", "Basic")])
            }
            for (user, password) in [("", ""), ("johndoe", "secret\u{1}"), ("johndoe", " secret"), ("", "secret")] {
                let value = "Basic " + b64(Array("\(user):\(password)".utf8))
                XCTAssertAnswer(try e.get(mount + "/users/me/", ["Authorization: \(value)"]), 401, E2E.incorrectLogin,
                                [("www-authenticate", "Basic")])
            }
            // Case of the scheme does not matter; surrounding space does not either.
            XCTAssertAnswer(try e.get(mount + "/users/me/", ["Authorization: bAsIc   " + b64(Array("johndoe:secret".utf8))]), 200, E2E.johnMe)
        }
    }

    func testRevokedAndForgedKeysAndNoLeaks() throws {
        let token = try e.token()
        let created = try e.curl(["-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json",
                                  "-d", #"{"name":"doomed","scopes":["me"]}"#, e.url("/auth/users/me/api-keys")])
        XCTAssertEqual(created.status, 201)
        let key = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(created.body)) as? [String: Any])?["key"] as? String)
        let (id, secret) = try E2E.keyParts(key)
        // The one answer that must show the secret; every other must not.
        e.assertNoLeaks()
        e.secrets.append(secret)

        XCTAssertEqual(try e.get("/auth/users/me/", ["X-API-Key: \(key)"]).status, 200)
        XCTAssertEqual(try e.curl(["-X", "DELETE", "-u", "johndoe:secret", e.url("/auth/users/me/api-keys/\(id)")]).status, 204)
        let flipped = secret.first == "A" ? "B" + secret.dropFirst() : "A" + secret.dropFirst()
        let variants = [
            key, "gh_\(id)_\(flipped)", "gh_\(id.uppercased())_\(secret)", key + "=", " " + key, "gh__" + secret,
            "gh_\(id)", "gh_\(id)_", "\(id)_\(secret)", "gh_%00_x",
        ]
        for variant in variants {
            let r = try e.get("/users/me/", ["X-API-Key: \(variant)"])
            XCTAssertAnswer(r, 401, E2E.invalidAPIKey, [("www-authenticate", "APIKey")])
            let q = try e.curl(["-G", "--data-urlencode", "api_key=\(variant)", e.url("/auth/users/me/")])
            XCTAssertAnswer(q, 401, E2E.invalidAPIKey, [("www-authenticate", "APIKey")])
        }
        // The admin views never show a password hash.
        let admin = try e.token("root", "rootpass", scope: "me users:read")
        XCTAssertEqual(try e.bearer("/auth/users/?limit=100", admin).status, 200)
        XCTAssertEqual(try e.bearer("/auth/users/1", admin).status, 200)
        XCTAssertEqual(try e.bearer("/auth/users/me/api-keys", token).status, 200)
        e.secrets += ["rootpass", "secretalice"]
    }
}
