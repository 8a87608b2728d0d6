import XCTest
@testable import Gatehouse

final class AppCORSTests: XCTestCase {
    func testErrorsCarryCORSHeaders() throws {
        let t = try TestApp(["cors_allow_origins": "https://app.example.org", "cors_allow_credentials": "true"])
        let r = t.request("GET", "/users/me/", headers: [("Origin", "https://app.example.org")])
        XCTAssertEqual(r.status, 401)
        XCTAssertEqual(r.headers["access-control-allow-origin"], "https://app.example.org")
        XCTAssertEqual(r.headers["access-control-allow-credentials"], "true")
        let pre = t.request("OPTIONS", "/users/me/", headers: [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "GET")])
        XCTAssertResponse(pre, 400, "Disallowed CORS origin")
        let ok = t.request("OPTIONS", "/users/me/", headers: [("Origin", "https://app.example.org"), ("Access-Control-Request-Method", "GET")])
        XCTAssertResponse(ok, 200, "OK")
        XCTAssertEqual(t.request("OPTIONS", "/users/me/").status, 405, "a plain OPTIONS is routed")
    }
}
