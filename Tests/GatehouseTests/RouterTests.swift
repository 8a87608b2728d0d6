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

/// The router's lookup table for literal paths against the scan it shortcuts (kept below as
/// it was): the same decision for every route of a full App, with paths near each (a slash
/// more or less, parameters of every kind, doubled slashes, other cases) and every method.
final class RouterEquivalenceTests: XCTestCase {
    func testTheLiteralPathTableDecidesAsTheScan() throws {
        var router = Router<String>()
        var config = Config()
        config.demo = true
        let schemes = Schemes(config: config)
        let routes = App.routes(config: config, schemes: schemes)
            + [Route("GET", "/users/me/extra", name: "late_literal", handler: { _ in .empty }),
               Route("GET", "/users/{name}/x", name: "param_first", handler: { _ in .empty }),
               Route("GET", "/users/me/x", name: "shadowed_literal", handler: { _ in .empty })]
        for route in routes { router.add(route.method, route.path, route.name) }
        var paths: Set<String> = ["/", "", "//", "/users", "/users/", "/users/me", "/users/me/", "/users/ME/", "/users/42",
                                  "/users/-1", "/users/me/x", "/users/you/x", "/nowhere"]
        for route in routes {
            let concrete = route.path.replacing(#/\{[a-z_]+:int\}/#, with: "7").replacing(#/\{[a-z_]+\}/#, with: "k1")
            for path in [route.path, concrete, concrete + "/", String(concrete.dropLast()), concrete + "//", "/" + concrete,
                         concrete.uppercased(), concrete.replacing("7", with: "x")] {
                paths.insert(path)
            }
        }
        let methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND", "get"]
        for path in paths {
            for method in methods {
                XCTAssertEqual(describe(router.decide(method: method, path: path)),
                               describe(ReferenceRouter.decide(router.entries, method: method, path: path)), "\(method) \(path)")
            }
        }
    }

    func describe(_ decision: Router<String>.Decision) -> String {
        switch decision {
        case let .matched(route, parameters): return "matched \(route) \(parameters.sorted { $0.key < $1.key })"
        case let .methodNotAllowed(allow): return "405 \(allow)"
        case let .redirect(path): return "307 \(path)"
        case .notFound: return "404"
        }
    }
}

/// Router.decide before the literal-path table: every entry matched in order.
enum ReferenceRouter {
    static func decide(_ entries: [Router<String>.Entry], method: String, path: String) -> Router<String>.Decision {
        let parts = Router<String>.split(path)
        var allow: [String] = []
        for entry in entries {
            guard let params = entry.pattern.match(parts) else { continue }
            if entry.method == method { return .matched(entry.route, parameters: params) }
            if !allow.contains(entry.method) { allow.append(entry.method) }
        }
        if !allow.isEmpty { return .methodNotAllowed(allow: allow) }
        if path != "/" {
            let other = path.hasSuffix("/") ? String(path.dropLast()) : path + "/"
            let otherParts = Router<String>.split(other)
            if entries.contains(where: { $0.pattern.match(otherParts) != nil }) { return .redirect(path: other) }
        }
        return .notFound
    }
}
