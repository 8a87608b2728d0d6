import XCTest
@testable import Gatehouse

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
