import Foundation
import XCTest

/// Throttling and the audit trail through nginx as shipped (gatehouse.conf, auth-request.conf
/// and auth-request-throttle.conf). nginx is the trusted proxy here, so each test's
/// X-Forwarded-For is its own client address and the tests do not ban each other.
final class ThrottleThroughNginxTests: XCTestCase {
    nonisolated(unsafe) static var e2e: E2E!
    nonisolated(unsafe) static var www: String?
    static let throttled = #"{"detail":"Too many failed login attempts"}"#

    override class func setUp() {
        super.setUp()
        do {
            let www = FileManager.default.temporaryDirectory.appendingPathComponent("gh-throttled-\(UUID().uuidString)").path
            self.www = www
            try FileManager.default.createDirectory(atPath: www, withIntermediateDirectories: true)
            try "secret report\n".write(toFile: www + "/report.txt", atomically: true, encoding: .utf8)
            chmod(www, 0o755)
            chmod(www + "/report.txt", 0o644)
            e2e = try E2E(config: [
                "throttle_address_max_failures": "3", "throttle_address_ban_seconds": "300", "throttle_user_max_failures": "0",
                "trusted_proxies": "127.0.0.1", "log_level": "debug",
            ], nginxServerDirectives: try AuthRequestTests.protectedLocations(www: www))
        } catch {
            XCTFail("harness: \(error)")
        }
    }

    override class func tearDown() {
        e2e?.stop()
        if let www { try? FileManager.default.removeItem(atPath: www) }
        super.tearDown()
    }

    var e: E2E { ThrottleThroughNginxTests.e2e }

    override func tearDown() {
        ThrottleThroughNginxTests.e2e?.assertNoLeaks()
        super.tearDown()
    }

    func from(_ address: String) -> [String] { ["-H", "X-Forwarded-For: \(address)"] }

    func login(_ user: String, _ password: String, from address: String) throws -> HTTPResult {
        try e.curl(from(address) + ["--data-urlencode", "username=\(user)", "--data-urlencode", "password=\(password)",
                                    e.url("/auth/token")])
    }

    func assertThrottled(_ r: HTTPResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertAnswer(r, 429, ThrottleThroughNginxTests.throttled, file: file, line: line)
        let wait = r.header("retry-after").flatMap(Int.init)
        XCTAssertNotNil(wait, "Retry-After in seconds", file: file, line: line)
        XCTAssertTrue((1...300).contains(wait ?? 0), "Retry-After \(wait ?? 0)", file: file, line: line)
    }

    func testTokenIs429AfterTheLimitAndTheBanHoldsOnEveryPool() throws {
        for _ in 0..<3 { XCTAssertAnswer(try login("johndoe", "wrong", from: "203.0.113.1"), 400, E2E.incorrectLogin) }
        assertThrottled(try login("johndoe", "secret", from: "203.0.113.1"))
        // /token went to the login pool, /users/me/ goes to the main one: one ledger for both.
        assertThrottled(try e.curl(from("203.0.113.1") + ["-u", "johndoe:secret", e.url("/auth/users/me/")]))
        XCTAssertEqual(try login("johndoe", "secret", from: "203.0.113.99").status, 200, "another client is not banned")
    }

    func testBasicIs429AfterTheLimit() throws {
        for _ in 0..<3 {
            XCTAssertEqual(try e.curl(from("203.0.113.2") + ["-u", "johndoe:wrong", e.url("/auth/users/me/")]).status, 401)
        }
        assertThrottled(try e.curl(from("203.0.113.2") + ["-u", "johndoe:secret", e.url("/auth/users/me/")]))
    }

    func testAuthRequestTurnsThrottled403Into429() throws {
        for _ in 0..<3 {
            XCTAssertEqual(try e.curl(from("203.0.113.3") + ["-u", "johndoe:wrong", e.url("/private/report.txt")]).status, 401)
        }
        assertThrottled(try e.curl(from("203.0.113.3") + ["-u", "johndoe:secret", e.url("/private/report.txt")]))
        let other = try e.curl(from("203.0.113.4") + ["-u", "johndoe:secret", e.url("/private/report.txt")])
        XCTAssertEqual(other.status, 200)
        XCTAssertEqual(other.text, "secret report\n")
        let disabled = try e.curl(from("203.0.113.4") + ["-u", "alice:secretalice", e.url("/private/report.txt")])
        XCTAssertEqual(disabled.status, 403, "a 403 that is not throttling stays a 403")
        XCTAssertNil(disabled.header("retry-after"))
    }

    /// Counted from the workers' debug lines, not timed: a wrong password for a user and
    /// any password for a name nobody has each cost exactly one hash.
    func testUnknownUsersCostTheSameHashesAsKnownOnes() throws {
        func hashLines(_ request: () throws -> HTTPResult) throws -> (HTTPResult, [String]) {
            let before = e.h.serverLog().count
            let r = try request()
            let added = String(e.h.serverLog().dropFirst(before))
            return (r, added.split(separator: "\n").filter { $0.contains("credential check") }.map {
                String($0[$0.range(of: "credential check")!.lowerBound...])
            })
        }
        let (known, knownLines) = try hashLines { try login("johndoe", "wrong", from: "203.0.113.5") }
        let (unknown, unknownLines) = try hashLines { try login("nosuchuser", "wrong", from: "203.0.113.6") }
        XCTAssertEqual(knownLines, ["credential check password: failed, 1 hashes"])
        XCTAssertEqual(unknownLines, knownLines)
        XCTAssertEqual(known.status, unknown.status)
        XCTAssertEqual(known.text, unknown.text)
        let (_, basicUnknown) = try hashLines { try e.curl(from("203.0.113.7") + ["-u", "nosuchuser:x", e.url("/auth/users/me/")]) }
        XCTAssertEqual(basicUnknown, ["credential check basic: failed, 1 hashes"])
    }

    func testGatehouseAuditListsWhatHappened() throws {
        XCTAssertEqual(try login("root", "rootpass", from: "203.0.113.8").status, 200)
        XCTAssertEqual(try login("root", "notrootpass", from: "203.0.113.8").status, 400)
        let out = try e.cli(["audit", "--user", "root", "--event", "login", "--json"])
        let rows = try out.text.split(separator: "\n").map { line in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }.filter { ($0["address"] as? String) == "203.0.113.8" }
        XCTAssertEqual(rows.map { $0["event"] as? String }, ["login.ok", "login.failed"])
        XCTAssertEqual(rows.map { $0["outcome"] as? String }, ["ok", "failed"])
        for row in rows {
            XCTAssertEqual((row["request_id"] as? String)?.count, 32, "nginx's $request_id")
            XCTAssertEqual(row["username"] as? String, "root")
        }
        let created = try e.cli(["audit", "--event", "user.created"]).text
        XCTAssertTrue(created.contains("johndoe"), created)
        XCTAssertTrue(created.contains("cli:"), created)
        let roles = try e.cli(["audit", "--event", "user.roles_changed", "--since", "1h"]).text
        XCTAssertTrue(roles.contains("+admin"), roles)
        XCTAssertEqual(try e.cli(["audit", "--since", "2000-01-01", "--event", "nothing.such"]).text,
                       "TIME  EVENT  USER  ACTOR  ADDRESS  REQUEST  OUTCOME  DETAIL\n")
        let everything = try e.cli(["audit", "--json"]).text
        for secret in ["rootpass", "notrootpass", "secretalice", "$argon2"] {
            XCTAssertFalse(everything.contains(secret), "\(secret) in the audit trail")
        }
        XCTAssertFalse(e.h.serverLog().contains("notrootpass"), "a password in the server log")
    }
}

/// Without trusted_proxies, a client's own X-Forwarded-For or X-Real-IP is ignored: nginx's
/// REMOTE_ADDR (127.0.0.1 here) is what gets banned, whatever the headers claim.
final class SpoofedForwardedForThroughNginxTests: E2ETestCase {
    override class var config: [String: String] { ["throttle_address_max_failures": "3", "throttle_user_max_failures": "0"] }

    func testSpoofedForwardingHeadersChangeNothing() throws {
        for i in 0..<3 {
            let r = try e.curl(["-H", "X-Forwarded-For: 198.51.100.\(i)", "-H", "X-Real-IP: 198.51.100.\(i)",
                                "-u", "johndoe:wrong", e.url("/auth/users/me/")])
            XCTAssertEqual(r.status, 401)
        }
        let r = try e.curl(["-H", "X-Forwarded-For: 192.0.2.77", "-H", "X-Real-IP: 192.0.2.77", "-u", "johndoe:secret", e.url("/auth/users/me/")])
        XCTAssertAnswer(r, 429, ThrottleThroughNginxTests.throttled)
        let audit = try e.cli(["audit", "--event", "login.failed", "--json"]).text
        XCTAssertTrue(audit.contains(#""address":"127.0.0.1""#), audit)
        XCTAssertFalse(audit.contains("198.51.100."), audit)
    }
}
