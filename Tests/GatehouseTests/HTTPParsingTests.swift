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
