import Foundation
import XCTest

/// nginx/auth-request.conf as shipped: other locations of the site protected by
/// `auth_request` against Gatehouse's /check, with and without a scope.
final class AuthRequestTests: XCTestCase {
    nonisolated(unsafe) static var e2e: E2E!
    nonisolated(unsafe) static var www: String?

    override class func setUp() {
        super.setUp()
        do {
            let www = FileManager.default.temporaryDirectory.appendingPathComponent("gh-private-\(UUID().uuidString)").path
            self.www = www
            try FileManager.default.createDirectory(atPath: www, withIntermediateDirectories: true)
            try "secret report\n".write(toFile: www + "/report.txt", atomically: true, encoding: .utf8)
            chmod(www, 0o755)
            chmod(www + "/report.txt", 0o644)
            e2e = try E2E(nginxServerDirectives: try protectedLocations(www: www))
        } catch {
            XCTFail("harness: \(error)")
        }
    }

    /// The shipped auth-request.conf, and two locations protected as its comment says
    /// (the first with auth-request-throttle.conf, which a throttled 403 turns into a 429).
    static func protectedLocations(www: String) throws -> String {
        func shipped(_ name: String) throws -> String {
            try String(contentsOf: Harness.packageRoot.appendingPathComponent("nginx/" + name), encoding: .utf8)
        }
        return try shipped("auth-request.conf").replacingOccurrences(of: "/run/gatehouse/gatehouse.sock", with: "@SOCKET@") + """

            location /private/ {
                auth_request /_gatehouse/check;
                auth_request_set $gatehouse_user $upstream_http_x_gatehouse_user;
                add_header X-Seen-User $gatehouse_user always;
                \(try shipped("auth-request-throttle.conf"))
                alias \(www)/;
            }
            location /reports/ {
                auth_request /_gatehouse/check-items;
                alias \(www)/;
            }
            """
    }

    override class func tearDown() {
        e2e?.stop()
        if let www { try? FileManager.default.removeItem(atPath: www) }
        super.tearDown()
    }

    var e: E2E { AuthRequestTests.e2e }

    func testAnyValidCredentialOpensThePrivateLocation() throws {
        let anonymous = try e.get("/private/report.txt")
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertEqual(anonymous.header("www-authenticate"), "Bearer")
        XCTAssertEqual(try e.get("/private/report.txt", ["Authorization: Bearer junk"]).status, 401)

        let basic = try e.curl(["-u", "johndoe:secret", e.url("/private/report.txt")])
        XCTAssertEqual(basic.status, 200)
        XCTAssertEqual(basic.text, "secret report\n")
        XCTAssertEqual(basic.header("x-seen-user"), "johndoe")

        let token = try e.token(scope: "me")
        XCTAssertEqual(try e.bearer("/private/report.txt", token).status, 200)
        let alice = try e.token("alice", "secretalice")
        XCTAssertEqual(try e.bearer("/private/report.txt", alice).status, 403, "a disabled user is refused")
    }

    func testAScopedLocationNeedsTheScope() throws {
        let meOnly = try e.token(scope: "me")
        XCTAssertEqual(try e.bearer("/reports/report.txt", meOnly).status, 403)
        let items = try e.token(scope: "items")
        let allowed = try e.bearer("/reports/report.txt", items)
        XCTAssertEqual(allowed.status, 200)
        XCTAssertEqual(allowed.text, "secret report\n")
        XCTAssertEqual(try e.get("/_gatehouse/check").status, 404, "the check location is internal")
    }
}
