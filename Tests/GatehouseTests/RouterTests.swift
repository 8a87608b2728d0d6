import XCTest
@testable import Gatehouse

final class RouterTests: XCTestCase {
    var router: Router<String> {
        var r = Router<String>()
        r.add("GET", "/users/me/", "me")
        r.add("POST", "/token", "token")
        r.add("GET", "/users/{user_id:int}", "user")
        r.add("PATCH", "/users/{user_id:int}", "patch")
        r.add("GET", "/keys/{key_id}", "key")
        return r
    }

    func testDecisions() {
        guard case let .matched(route, params) = router.decide(method: "GET", path: "/users/42") else { return XCTFail() }
        XCTAssertEqual(route, "user")
        XCTAssertEqual(params, ["user_id": "42"])
        guard case let .methodNotAllowed(allow) = router.decide(method: "DELETE", path: "/users/42") else { return XCTFail() }
        XCTAssertEqual(allow, ["GET", "PATCH"])
        guard case .methodNotAllowed = router.decide(method: "HEAD", path: "/users/me/") else { return XCTFail("no implicit HEAD") }
        guard case let .redirect(path) = router.decide(method: "GET", path: "/users/me") else { return XCTFail() }
        XCTAssertEqual(path, "/users/me/")
        guard case let .redirect(other) = router.decide(method: "POST", path: "/token/") else { return XCTFail() }
        XCTAssertEqual(other, "/token")
        guard case .notFound = router.decide(method: "GET", path: "/users/abc") else { return XCTFail() }
        guard case .notFound = router.decide(method: "GET", path: "/keys/") else { return XCTFail("empty parameter") }
        guard case .notFound = router.decide(method: "GET", path: "/") else { return XCTFail() }
        guard case let .redirect(doubled) = router.decide(method: "GET", path: "/users/me//") else { return XCTFail() }
        XCTAssertEqual(doubled, "/users/me/", "Starlette strips one slash and finds the route")
    }
}
