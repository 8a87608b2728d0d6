import XCTest
@testable import Gatehouse

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
