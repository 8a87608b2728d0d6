import Foundation
import XCTest
@testable import Gatehouse

/// `/openapi.json` against the document FastAPI 0.165 serves for the same route table
/// (openapi_reference.py). Compared as JSON values: object key order is ignored (FastAPI's
/// follows pydantic's internals), list order is not, and an int never equals a float.
/// Nothing else is ignored: info.title and info.version are set equal in the reference.
final class OpenAPITests: XCTestCase {
    func testDocumentEqualsFastAPIs() throws {
        let app = try OpenAPITestApp()
        let served = try app.document()
        try assertSameJSON(served, try fastAPIDocument())
    }

    func testPrefixAddsServersAsRootPathDoes() throws {
        let app = try OpenAPITestApp()
        let served = try app.document(prefix: "/auth")
        try assertSameJSON(served, try fastAPIDocument(rootPath: "/auth"))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(served)) as? [String: Any])
        let servers = try XCTUnwrap(object["servers"] as? [[String: String]])
        XCTAssertEqual(servers, [["url": "/auth"]])
    }

    func testPrefixWithTrailingSlashIsTrimmedLikeFastAPI() throws {
        let app = try OpenAPITestApp()
        try assertSameJSON(try app.document(prefix: "/auth/"), try fastAPIDocument(rootPath: "/auth/"))
    }

    func testTokenURLStaysRelativeUnderAPrefix() throws {
        let app = try OpenAPITestApp()
        let doc = try JSON.parse(try app.document(prefix: "/auth"))
        let flow = doc["components"]?["securitySchemes"]?["OAuth2PasswordBearer"]?["flows"]?["password"]
        XCTAssertEqual(flow?["tokenUrl"]?.stringValue, "token")
        XCTAssertNil(doc["paths"]?["/auth/token"], "paths stay relative to the server URL")
        XCTAssertNotNil(doc["paths"]?["/token"])
    }

    func testWithoutPrefixThereAreNoServers() throws {
        let app = try OpenAPITestApp()
        XCTAssertNil(try JSON.parse(try app.document(prefix: ""))["servers"])
        XCTAssertNil(try JSON.parse(try app.document(prefix: "/"))["servers"])
    }

    func testQueryStringDoesNotChangeTheDocument() throws {
        let app = try OpenAPITestApp()
        let plain = try app.document()
        let r = app.request("GET", "/openapi.json", query: "servers=evil&root_path=/x")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.body, plain)
    }

    func testServedAsJSON() throws {
        let app = try OpenAPITestApp()
        let r = app.request("GET", "/openapi.json")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["content-type"], "application/json")
    }

    func testOtherMethodsAreNotAllowed() throws {
        let app = try OpenAPITestApp()
        let r = app.request("POST", "/openapi.json")
        XCTAssertEqual(r.status, 405)
        XCTAssertEqual(String(decoding: r.body, as: UTF8.self), #"{"detail":"Method Not Allowed"}"#)
    }

    func testOutsideDemoModeTheDemoRoutesAndScopesAreAbsent() throws {
        let app = try OpenAPITestApp(demo: false)
        let doc = try JSON.parse(try app.document())
        XCTAssertNil(doc["paths"]?["/users/me/items/"])
        XCTAssertNil(doc["paths"]?["/status/"])
        XCTAssertNotNil(doc["paths"]?["/users/me/"])
        let scopes = doc["components"]?["securitySchemes"]?["OAuth2PasswordBearer"]?["flows"]?["password"]?["scopes"]
        XCTAssertEqual(scopes?.objectValue?.count, 0)
    }

    func testTitlesFollowPythonsStrTitle() {
        XCTAssertEqual(OpenAPI.title("Response_list_users_users__get"), "Response List Users Users  Get")
        XCTAssertEqual(OpenAPI.title("expires_in_days"), "Expires In Days")
        XCTAssertEqual(OpenAPI.title("APIKey_x2y"), "Apikey X2Y")
        XCTAssertEqual(OpenAPI.title(""), "")
    }

    /// The comparison must see what a reader of the JSON would: kinds, order of lists, every key.
    func testComparisonCatchesKindOrderAndKeyDifferences() throws {
        func differences(_ a: String, _ b: String) throws -> [String] {
            var out: [String] = []
            Self.compare(try JSONSerialization.jsonObject(with: Data(a.utf8), options: [.fragmentsAllowed]),
                         try JSONSerialization.jsonObject(with: Data(b.utf8), options: [.fragmentsAllowed]),
                         at: "$", into: &out)
            return out
        }
        XCTAssertEqual(try differences(#"{"a":1,"b":[true]}"#, #"{"b":[true],"a":1}"#), [])
        XCTAssertEqual(try differences(#"{"m":1}"#, #"{"m":1.0}"#), ["$.m: int:1, FastAPI has float:1.0"])
        XCTAssertEqual(try differences(#"[1]"#, #"[true]"#), ["$[0]: int:1, FastAPI has bool:true"])
        XCTAssertEqual(try differences(#"[0]"#, #"[false]"#), ["$[0]: int:0, FastAPI has bool:false"])
        XCTAssertEqual(try differences(#"["a","b"]"#, #"["b","a"]"#).count, 2)
        XCTAssertEqual(try differences(#"{"d":null}"#, #"{}"#), [#"$.d: extra null, FastAPI has none"#])
        XCTAssertEqual(try differences(#"{}"#, #"{"k":{"x":[]}}"#), [#"$.k: missing, FastAPI has {"x":[]}"#])
    }

    // MARK: - The reference

    /// FastAPI's own document for the equivalent app (openapi_reference.py).
    func fastAPIDocument(rootPath: String? = nil) throws -> [UInt8] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("openapi_reference.py")
        return Array(try TestPython.run([script.path] + (rootPath.map { [$0] } ?? [])))
    }

    // MARK: - Comparing

    func assertSameJSON(_ served: [UInt8], _ expected: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        let got = try JSONSerialization.jsonObject(with: Data(served), options: [.fragmentsAllowed])
        let want = try JSONSerialization.jsonObject(with: Data(expected), options: [.fragmentsAllowed])
        var differences: [String] = []
        Self.compare(got, want, at: "$", into: &differences)
        if !differences.isEmpty {
            XCTFail("/openapi.json differs from FastAPI's in \(differences.count) place(s):\n"
                + differences.prefix(60).joined(separator: "\n"), file: file, line: line)
        }
    }

    static func compare(_ got: Any, _ want: Any, at path: String, into out: inout [String]) {
        switch (got, want) {
        case let (g as [String: Any], w as [String: Any]):
            for key in w.keys.sorted() {
                if let gv = g[key] { compare(gv, w[key]!, at: "\(path).\(key)", into: &out) } else {
                    out.append("\(path).\(key): missing, FastAPI has \(render(w[key]!))")
                }
            }
            for key in g.keys.sorted() where w[key] == nil {
                out.append("\(path).\(key): extra \(render(g[key]!)), FastAPI has none")
            }
        case let (g as [Any], w as [Any]):
            if g.count != w.count {
                out.append("\(path): \(g.count) items \(render(g)), FastAPI has \(w.count) \(render(w))")
                return
            }
            for (i, (gv, wv)) in zip(g, w).enumerated() { compare(gv, wv, at: "\(path)[\(i)]", into: &out) }
        default:
            if scalar(got) != scalar(want) { out.append("\(path): \(render(got)), FastAPI has \(render(want))") }
        }
    }

    /// A scalar with its JSON kind, so that `1`, `1.0` and `true` stay apart.
    static func scalar(_ value: Any) -> String {
        switch value {
        case is NSNull: return "null"
        case let s as String: return "string:" + s
        case let n as NSNumber:
            switch String(cString: n.objCType) {
            case "c", "B": return "bool:\(n.boolValue)"
            case "d", "f": return "float:\(n.doubleValue)"
            default: return "int:\(n.int64Value)"
            }
        default: return "other:\(value)"
        }
    }

    static func render(_ value: Any) -> String {
        if value is [String: Any] || value is [Any],
           let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) {
            return String(decoding: data, as: UTF8.self)
        }
        return scalar(value)
    }
}

/// An App in demo mode over a fresh store in a temp folder, as FastAPI's reference app is.
final class OpenAPITestApp {
    let dir: String
    let app: App

    init(demo: Bool = true) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("gh-openapi-\(UUID().uuidString)").path
        let env = [
            "GATEHOUSE_DATA_DIR": dir, "GATEHOUSE_DEMO": demo ? "true" : "false",
            "GATEHOUSE_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "GATEHOUSE_ARGON2_MEMORY_KIB": "1024", "GATEHOUSE_ARGON2_TIME_COST": "1", "GATEHOUSE_ARGON2_PARALLELISM": "1",
        ]
        let config = try Config.load(file: nil, environment: env)
        let store = try Store.open(path: config.databasePath)
        let keys = try JWTKeySet.load(config: config)
        app = try App(config: config, store: store, keys: keys)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func request(_ method: String, _ path: String, query: String = "", prefix: String = "") -> Response {
        app.handle(Request(method: method, path: path, scriptName: prefix, rawQuery: query, headers: Headers([]), body: []))
    }

    func document(prefix: String = "") throws -> [UInt8] {
        let r = request("GET", "/openapi.json", prefix: prefix)
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        return r.body
    }
}
