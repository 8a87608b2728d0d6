import Foundation
import XCTest

/// schemathesis (Tests/attack/contract.py) against /openapi.json through nginx, every check,
/// once per kind of credential: a JWT of an admin holding every scope and permission, HTTP
/// Basic, and an API key with the same scopes. 0 failures means every answer is one the
/// document declares, in the shape it declares, and every schema-valid request is taken.
/// Bounded here (CONTRACT_MAX_EXAMPLES, default 15 a route); `make soak` runs it long.
///
/// Nothing is excluded by check name. What schemathesis cannot see from outside is handled
/// case by case in Tests/attack/contract_hooks.py, each with its reason: TRACE is answered
/// by nginx itself; a 400 from the two-factor routes, whose bodies carry a one-time code no
/// schema can generate; the credential is set per case so that probes can take it away; cases
/// that would delete or change the caller's own account or end its token's session are not
/// generated (/logout gets a fresh token each time instead).
final class ContractTests: E2ETestCase {
    static let adminScopes = "me users:read users:write users:roles tokens:introspect"

    /// As many hash slots as main workers: two wrong Basic passwords at once would otherwise
    /// get the limiter's (declared) 503 instead of the 401 that ignored_auth waits for. That
    /// 503 has its own test (SecurityThroughNginxTests).
    override class var config: [String: String] { ["workers": "2", "max_concurrent_hashes": "2"] }

    static var maxExamples: String { ProcessInfo.processInfo.environment["CONTRACT_MAX_EXAMPLES"] ?? "15" }

    /// E2E's root holds users:read and users:write; the contract covers every route. Once per
    /// class (the harness is shared): a second `role add` would fail.
    override func setUpWithError() throws {
        try super.setUpWithError()
        let roles = try e.cli(["role", "list"]).text
        if !roles.contains("superadmin") {
            try e.cli(["role", "add", "superadmin", "--permissions", "users:read,users:write,users:roles,tokens:introspect"])
            try e.cli(["user", "grant-role", "root", "superadmin"])
        }
    }

    func rootID() throws -> Int {
        let r = try e.get("/auth/users/?limit=100", [], ["-u", "root:rootpass"])
        let users = try JSONSerialization.jsonObject(with: Data(r.body)) as? [[String: Any]] ?? []
        guard let id = users.first(where: { $0["username"] as? String == "root" })?["id"] as? Int else {
            throw HarnessError("no root in \(r.text)")
        }
        return id
    }

    func runContract(kind: String, secret: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let script = Harness.packageRoot.appendingPathComponent("Tests/attack/contract.py").path
        let python = try TestPython.path()
        let out = try Harness.run(python, [
            script, "--base", e.url("/auth"), "--kind", kind, "--secret", secret, "--caller-id", String(try rootID()),
            "--login", "root:rootpass", "--max-examples", Self.maxExamples,
        ])
        let report = out.text + out.stderr
        XCTAssertEqual(out.status, 0, "schemathesis with \(kind):\n\(report.suffix(20_000))", file: file, line: line)
        XCTAssertTrue(report.contains("No issues found"), report.suffix(2000).description, file: file, line: line)
        XCTAssertFalse(e.h.serverLog().contains("failed:"), "no request failed inside Gatehouse: \(e.h.serverLog().suffix(4000))",
                       file: file, line: line)
    }

    func testWithAJWT() throws {
        try runContract(kind: "bearer", secret: try e.token("root", "rootpass", scope: Self.adminScopes))
    }

    func testWithHTTPBasic() throws {
        try runContract(kind: "basic", secret: "root:rootpass")
    }

    func testWithAnAPIKey() throws {
        let scopes = Self.adminScopes.split(separator: " ").map { "\"\($0)\"" }.joined(separator: ",")
        let r = try e.curl(["-u", "root:rootpass", "-H", "Content-Type: application/json",
                            "-d", #"{"name":"contract","scopes":[\#(scopes)]}"#, e.url("/auth/users/me/api-keys")])
        XCTAssertEqual(r.status, 201, r.text)
        let key = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])?["key"] as? String)
        e.assertNoLeaks()
        try runContract(kind: "apikey", secret: key)
    }
}
