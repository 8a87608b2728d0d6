import Foundation
import XCTest

/// Examples/ProtectedReports — a site's own server built on Gatehouse as a library — behind
/// nginx: its GET /reports needs the scope `reports` and the role `analyst`, and Gatehouse's
/// own routes answer beside it. `make test` builds the example and names it in GH_EXAMPLE_BIN.
final class LibraryExampleTests: XCTestCase {
    func testProtectedReportsBehindNginx() throws {
        guard let binary = ProcessInfo.processInfo.environment["GH_EXAMPLE_BIN"] else {
            throw XCTSkip("GH_EXAMPLE_BIN is not set: make test builds Examples/ProtectedReports and sets it")
        }
        let h = try Harness.start(config: E2E.settings.merging(["scope.reports": "Read the reports."]) { $1 },
                                  serverBinary: binary)
        defer { h.stop() }
        func cli(_ args: [String], stdin: String = "") throws {
            let out = try h.gatehouse(args, stdin: Array(stdin.utf8))
            XCTAssertEqual(out.status, 0, out.stderr)
        }
        try cli(["role", "add", "analyst"])
        try cli(["user", "add", "ann", "--scopes", "me,reports", "--password-stdin"], stdin: "annpass\n")
        try cli(["user", "grant-role", "ann", "analyst"])
        try cli(["user", "add", "bob", "--scopes", "me,reports", "--password-stdin"], stdin: "bobpass\n")
        try cli(["user", "add", "eve", "--scopes", "me", "--password-stdin"], stdin: "evepass\n")

        func token(_ user: String, _ password: String) throws -> String {
            let r = try h.curl(["-d", "username=\(user)&password=\(password)&scope=me reports", h.url("/auth/token")])
            XCTAssertEqual(r.status, 200, r.text)
            return try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])?["access_token"] as? String)
        }
        let reports = h.url("/auth/reports")
        XCTAssertAnswer(try h.curl([reports]), 401, #"{"detail":"Not authenticated"}"#, [("www-authenticate", "Bearer")])
        XCTAssertAnswer(try h.curl(["-H", "Authorization: Bearer \(try token("eve", "evepass"))", reports]), 401,
                        #"{"detail":"Not enough permissions"}"#, [("www-authenticate", #"Bearer scope="reports""#)])
        XCTAssertAnswer(try h.curl(["-H", "Authorization: Bearer \(try token("bob", "bobpass"))", reports]), 403,
                        #"{"detail":"Not enough permissions"}"#)
        XCTAssertAnswer(try h.curl(["-H", "Authorization: Bearer \(try token("ann", "annpass"))", reports]), 200,
                        #"{"owner":"ann","reports":["q3-revenue","q4-forecast"]}"#, [("cache-control", "no-store")])
        XCTAssertAnswer(try h.curl(["-u", "ann:annpass", reports]), 200, #"{"owner":"ann","reports":["q3-revenue","q4-forecast"]}"#)
        XCTAssertEqual(try h.curl(["-u", "ann:annpass", h.url("/auth/users/me/")]).status, 200, "Gatehouse's own routes answer too")
        let openapi = try h.curl([h.url("/auth/openapi.json")])
        XCTAssertTrue(openapi.text.contains(#""/reports":{"get":{"summary":"Read Reports""#), openapi.text)
    }
}
