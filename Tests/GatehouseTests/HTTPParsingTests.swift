import XCTest
@testable import Gatehouse

final class HTTPParsingTests: XCTestCase {
    func testCookiesFollowStarlette() {
        let jar = Cookies.parse(["a=1; b = two ; c=\"quoted\\\"x\"; flag; a=3", "d=4"])
        XCTAssertEqual(jar["a"], "3")
        XCTAssertEqual(jar["b"], "two")
        XCTAssertEqual(jar["c"], "quoted\"x")
        XCTAssertEqual(jar[""], "flag")
        XCTAssertEqual(jar["d"], "4")
        XCTAssertEqual(Cookies.parse([";;; ="]), [:])
    }

    func testHeadersAreCaseInsensitiveAndNeverCarryLineBreaks() {
        var h = Headers()
        h.add("X-Test", "a\r\nSet-Cookie: evil=1")
        h.add("x-test", "b")
        XCTAssertEqual(h["X-TEST"], "aSet-Cookie: evil=1")
        XCTAssertEqual(h.values("x-test"), ["aSet-Cookie: evil=1", "b"])
        let bytes = Response(status: 200, headers: h).serialized()
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertEqual(text.components(separatedBy: "\r\n").filter { $0.hasPrefix("Set-Cookie") }, [])
    }

    func testResponseSerializationIsCGI() {
        let r = HTTPError.notFound.response
        XCTAssertEqual(
            String(decoding: r.serialized(), as: UTF8.self),
            "Status: 404 Not Found\r\ncontent-type: application/json\r\nContent-Length: 22\r\n\r\n{\"detail\":\"Not Found\"}")
        XCTAssertEqual(
            String(decoding: r.serialized(includeBody: false), as: UTF8.self),
            "Status: 404 Not Found\r\ncontent-type: application/json\r\nContent-Length: 22\r\n\r\n")
    }

    func testLatin1RoundTrip() {
        let raw: [UInt8] = [0x61, 0xE9, 0xFF, 0x00]
        XCTAssertEqual(Latin1.bytes(Latin1.string(raw)), raw)
        XCTAssertNil(Latin1.bytes("€"))
        XCTAssertEqual(Latin1.utf8(Latin1.string(Array("é€".utf8))), "é€")
    }

    func testMediaTypeParameters() {
        let m = MediaType("Multipart/Form-Data; charset=utf-8; boundary=\"a;b\\\"c\"")
        XCTAssertEqual(m.type, "multipart/form-data")
        XCTAssertEqual(m.parameters["boundary"], "a;b\"c")
        XCTAssertEqual(m.parameters["charset"], "utf-8")
    }

    func testBase64IsStrict() {
        XCTAssertEqual(Base64.decode("YWxpY2U6c2VjcmV0"), Array("alice:secret".utf8))
        XCTAssertEqual(Base64.decode("YQ=="), [0x61])
        XCTAssertNil(Base64.decode("YQ"), "padding is required")
        XCTAssertNil(Base64.decode("YR=="), "non-zero trailing bits")
        XCTAssertNil(Base64.decode("YW Jj"), "characters outside the alphabet")
        XCTAssertNil(Base64.decode("Y==="))
        XCTAssertEqual(Base64.urlEncode([0xFB, 0xFF]), "-_8")
        XCTAssertEqual(Base64.urlDecode("-_8"), [0xFB, 0xFF])
        XCTAssertNil(Base64.urlDecode("-_8="), "no padding in base64url")
        XCTAssertEqual(Base64.encode(Array("alice:secret".utf8)), "YWxpY2U6c2VjcmV0")
    }

    func testPercentDecodingEdgeCases() {
        XCTAssertEqual(PercentEncoding.decode("%"), "%")
        XCTAssertEqual(PercentEncoding.decode("%4"), "%4")
        XCTAssertEqual(PercentEncoding.decode("a%2Fb+c"), "a/b+c")
        XCTAssertEqual(PercentEncoding.decodeFormComponent("a%2Fb+c"), "a/b c")
        XCTAssertEqual(PercentEncoding.decode("%00"), "\u{0}")
        XCTAssertEqual(PercentEncoding.encodePath("/users/me é/"), "/users/me%20%C3%A9/")
    }
}

final class FormTests: XCTestCase {
    func request(_ contentType: String?, _ body: String) -> Request {
        var h = Headers()
        if let contentType { h.add("content-type", contentType) }
        return Request(method: "POST", path: "/token", headers: h, body: Array(body.utf8))
    }

    func testURLEncoded() throws {
        let f = try Form.parse(request("application/x-www-form-urlencoded", "username=john+doe&password=p%40ss%3D&scope=me%20items&x"))
        XCTAssertEqual(f.text("username"), "john doe")
        XCTAssertEqual(f.text("password"), "p@ss=")
        XCTAssertEqual(f.text("scope"), "me items")
        XCTAssertEqual(f.text("x"), "")
    }

    func testOtherContentTypesAreEmptyForms() throws {
        XCTAssertTrue(try Form.parse(request("application/json", "{\"username\":\"x\"}")).fields.isEmpty)
        XCTAssertTrue(try Form.parse(request(nil, "username=x")).fields.isEmpty)
    }

    func testInvalidUTF8IsA400() {
        var r = request("application/x-www-form-urlencoded", "")
        r.body = [0x61, 0x3D, 0xFF, 0xFE]
        XCTAssertThrowsError(try Form.parse(r)) { XCTAssertEqual(($0 as! HTTPError).status, 400) }
    }

    func testMultipartWithTextAndBinaryParts() throws {
        var body = Array("--XyZ\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\njohndoe\r\n".utf8)
        body += Array("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += [0x00, 0xFF, 0x0D, 0x0A, 0x2D, 0x2D]
        body += Array("\r\n--XyZ\r\nContent-Disposition: form-data; name=\"empty\"\r\n\r\n\r\n--XyZ--\r\n".utf8)
        var r = request("multipart/form-data; boundary=XyZ", "")
        r.body = body
        let f = try Form.parse(r)
        XCTAssertEqual(f.text("username"), "johndoe")
        XCTAssertEqual(f["file"], .file(filename: "a.bin", contentType: "application/octet-stream", data: [0x00, 0xFF, 0x0D, 0x0A, 0x2D, 0x2D]))
        XCTAssertEqual(f.text("empty"), "")
    }

    func testBrokenMultipartIsAClear400() {
        let cases: [(String, String, String)] = [
            ("multipart/form-data", "--x\r\n", "Missing boundary in multipart."),
            ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue", "Invalid multipart body: missing closing boundary."),
            ("multipart/form-data; boundary=x", "no boundary here", "Invalid multipart body: boundary not found."),
            ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"", "Invalid multipart body: part headers not terminated."),
            ("multipart/form-data; boundary=x", "--x\r\nbroken header line\r\n\r\nv\r\n--x--", "Invalid multipart body: malformed part header."),
            ("multipart/form-data; boundary=x", "--x\r\nContent-Type: text/plain\r\n\r\nv\r\n--x--", "Missing Content-Disposition header in multipart part."),
            ("multipart/form-data; boundary=x", "--xjunk", "Invalid multipart body: missing closing boundary."),
        ]
        for (ct, body, detail) in cases {
            XCTAssertThrowsError(try Form.parse(request(ct, body)), body) { error in
                let e = error as! HTTPError
                XCTAssertEqual(e.status, 400, body)
                XCTAssertEqual(e.response.body, Array("{\"detail\":\"\(detail)\"}".utf8), body)
            }
        }
    }
}

final class JSONTests: XCTestCase {
    func testWireFormatMatchesFastAPI() {
        let v: JSON = .object([
            ("detail", "Not Found"), ("path", "/a/b"), ("name", "Zoë ✓"), ("ctl", "a\"\\\n\t\u{1}"),
            ("n", 1), ("f", .double(1.5)), ("whole", .double(2)), ("none", nil), ("ok", true), ("list", [1, "x"]),
        ])
        XCTAssertEqual(v.text, #"{"detail":"Not Found","path":"/a/b","name":"Zoë ✓","ctl":"a\"\\\n\t\u0001","n":1,"f":1.5,"whole":2.0,"none":null,"ok":true,"list":[1,"x"]}"#)
    }

    func testParseKeepsOrderAndTypes() throws {
        let v = try JSON.parse(#" {"b":1,"a":[true,null,-2.5e1,"\u00e9\ud83d\ude00\/"],"c":{}} "#)
        XCTAssertEqual(v, .object([("b", 1), ("a", [true, nil, .double(-25), "é😀/"]), ("c", .object([]))]))
    }

    func testParseErrorsCarryPythonMessagesAndPositions() {
        let cases: [(String, String, Int)] = [
            ("", "Expecting value", 0), ("{", "Expecting property name enclosed in double quotes", 1),
            ("{\"a\" 1}", "Expecting ':' delimiter", 5), ("[1 2]", "Expecting ',' delimiter", 3),
            ("{\"a\":1} x", "Extra data", 8), ("\"abc", "Unterminated string starting at", 0),
            ("[01]", "Expecting ',' delimiter", 2), ("nul", "Expecting value", 0),
        ]
        for (text, message, position) in cases {
            XCTAssertThrowsError(try JSON.parse(text), text) { error in
                XCTAssertEqual(error as? JSONParseError, JSONParseError(message: message, position: position), text)
            }
        }
        XCTAssertThrowsError(try JSON.parse(String(repeating: "[", count: 10_000)))
        XCTAssertThrowsError(try JSON.parse([0x22, 0xFF, 0x22]))
    }
}

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

final class ValidationShapeTests: XCTestCase {
    func testPydanticV2Bodies() {
        XCTAssertEqual(
            HTTPError.validation([.missing("body", "username")]).response.body,
            Array(#"{"detail":[{"type":"missing","loc":["body","username"],"msg":"Field required","input":null}]}"#.utf8))
        XCTAssertEqual(
            HTTPError.validation([.patternMismatch(["body", "grant_type"], pattern: "^password$", input: "x")]).response.body,
            Array(#"{"detail":[{"type":"string_pattern_mismatch","loc":["body","grant_type"],"msg":"String should match pattern '^password$'","input":"x","ctx":{"pattern":"^password$"}}]}"#.utf8))
    }
}

final class TrimTests: XCTestCase {
    func testTrimsOnlyHTTPWhitespace() {
        XCTAssertEqual(" \t é x€ \r\n".trimmingWhitespace(), "é x€")
        XCTAssertEqual("€".trimmingWhitespace(), "€")
        XCTAssertEqual(" \u{A0}a\u{A0} ".trimmingWhitespace(), "\u{A0}a\u{A0}")
        XCTAssertEqual("   ".trimmingWhitespace(), "")
        XCTAssertEqual("".trimmingWhitespace(), "")
    }
}
