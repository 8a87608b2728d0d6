import XCTest
@testable import Gatehouse

/// What is written on every answer, against the code it replaced (kept below as it was).
final class SerializationEquivalenceTests: XCTestCase {
    func testResponsesSerializeAsBefore() {
        var random = RandomBytes(seed: 0x5e71_a112)
        let texts = ["", "application/json", "no-store", "Bearer realm=\"a\\\"b\"", "caf\u{E9}", "\u{2603} snow", "x\u{FF}y",
                     "\u{100}", "emoji \u{1F600}", "a\u{301}"]
        for status in [200, 201, 204, 307, 401, 403, 404, 405, 422, 429, 500, 503, 299, 0, 999, -1, 1_000_000] {
            for round in 0..<40 {
                var headers = Headers()
                for _ in 0..<random.below(5) {
                    headers.add(["content-type", "www-authenticate", "content-length", "x-\u{E9}", "cache-control"][random.below(5)],
                                texts[random.below(texts.count)] + String(decoding: random.bytes(4), as: UTF8.self))
                }
                let response = Response(status: status, headers: headers, body: random.bytes(round))
                for includeBody in [true, false] {
                    XCTAssertEqual(response.serialized(includeBody: includeBody),
                                   ReferenceSerializer.serialized(response, includeBody: includeBody), "\(status) \(headers)")
                }
                var appended: [UInt8] = [1, 2, 3]
                response.serialize(into: &appended)
                XCTAssertEqual(appended, [1, 2, 3] + response.serialized(), "serialize(into:) appends")
            }
        }
    }
}

struct RandomBytes {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 17
    }
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

/// Response.serialized before it wrote into a reused buffer.
enum ReferenceSerializer {
    static func serialized(_ response: Response, includeBody: Bool) -> [UInt8] {
        var out: [UInt8] = []
        func append(_ s: String) {
            for u in s.unicodeScalars { out.append(u.value < 256 ? UInt8(u.value) : UInt8(ascii: "?")) }
        }
        append("Status: \(response.status) \(response.reason)\r\n")
        for (name, value) in response.headers where name != "content-length" {
            append(name)
            out += [UInt8(ascii: ":"), UInt8(ascii: " ")]
            append(value)
            out += [13, 10]
        }
        append("Content-Length: \(response.body.count)\r\n\r\n")
        if includeBody { out += response.body }
        return out
    }
}

/// The Authorization header's scheme and parameter, read by bytes for ASCII values, against
/// FastAPI's reading as it was written here before (by Characters).
final class AuthorizationHeaderEquivalenceTests: XCTestCase {
    func testHeadersSplitAsBefore() {
        var random = RandomBytes(seed: 0xa117_0512)
        var values = ["", " ", "Bearer", "bearer", "BEARER abc", "Bearer  abc ", "Bearer\tabc", "Basic am9obmRvZTpzZWNyZXQ=",
                      "basic   x  ", "Bearer a b c", "Bearerx abc", "Bear", "\u{E9}Bearer abc", "Bearer \u{E9}t\u{E9}",
                      "Bearer \u{301}abc", "B\u{E9}arer x", "Bearer\r\n abc", " Bearer abc", "Beare\u{0130} x", "BASİC x"]
        let alphabet = Array("Bearerbasic BASIC \t\r\n:=.-_/+".unicodeScalars) + ["\u{E9}", "\u{301}", "\u{FF}", "\u{0130}"]
        for _ in 0..<3000 {
            values.append(String(String.UnicodeScalarView((0..<random.below(14)).map { _ in alphabet[random.below(alphabet.count)] })))
        }
        for value in values {
            let old = ReferenceAuthorization.split(value)
            let new = AuthorizationHeader.split(value)
            XCTAssertTrue(old == new, "\(value.debugDescription): \(old) vs \(new)")
            for scheme in ["bearer", "basic"] {
                XCTAssertEqual(AuthorizationHeader.parameter(value, ifScheme: scheme), old.scheme.lowercased() == scheme ? old.parameter : nil,
                               "\(scheme) in \(value.debugDescription)")
            }
        }
        XCTAssertTrue(AuthorizationHeader.split(nil) == ("", ""))
    }
}

/// AuthorizationHeader.split before its byte path.
enum ReferenceAuthorization {
    static func split(_ value: String) -> (scheme: String, parameter: String) {
        guard !value.isEmpty else { return ("", "") }
        guard let space = value.firstIndex(of: " ") else { return (value, "") }
        return (String(value[..<space]), value[value.index(after: space)...].trimmingWhitespace())
    }
}

/// Cookie headers read by bytes when they are ASCII, against Starlette's reading as it was
/// written here before (by Characters).
final class CookieEquivalenceTests: XCTestCase {
    func testCookieHeadersReadAsBefore() {
        var random = RandomBytes(seed: 0xc00c_1e5)
        var headers = ["", ";", "a=1", "a=1; b=2", " a = 1 ;b=2;", "a=1;a=2", "=x", "x", "x=", "a=\"q\\\"d\"", "a=\"\"", "a=\"",
                       "gatehouse_session=gkF9gBDscCcm6v3imqGtcA.FnaeUwosJVgV5QfxVbVHSzzUnpOMkPKf6oqweN7mmXY; api_key=k",
                       "a=\u{E9}t\u{E9}", "a=1\u{301};b=2", "a\u{301}=1", "\u{1F36A}=yes; a=b"]
        let alphabet = Array("ab= ;\t\"\\x,".unicodeScalars) + ["\u{E9}", "\u{301}", "\r", "\n"]
        for _ in 0..<3000 {
            headers.append(String(String.UnicodeScalarView((0..<random.below(16)).map { _ in alphabet[random.below(alphabet.count)] })))
        }
        for header in headers {
            XCTAssertEqual(Cookies.parse([header]), ReferenceCookies.parse([header]), header.debugDescription)
        }
        XCTAssertEqual(Cookies.parse(["a=1", "a=2; b=\u{E9}"]), ReferenceCookies.parse(["a=1", "a=2; b=\u{E9}"]))
    }
}

/// Cookies.parse before its byte path.
enum ReferenceCookies {
    static func parse(_ headerValues: [String]) -> [String: String] {
        var jar: [String: String] = [:]
        for header in headerValues {
            for chunk in header.split(separator: ";", omittingEmptySubsequences: false) {
                let key: String
                let value: String
                if let eq = chunk.firstIndex(of: "=") {
                    key = chunk[..<eq].trimmingWhitespace()
                    value = chunk[chunk.index(after: eq)...].trimmingWhitespace()
                } else {
                    key = ""
                    value = chunk.trimmingWhitespace()
                }
                if !key.isEmpty || !value.isEmpty { jar[key] = Cookies.unquote(value) }
            }
        }
        return jar
    }
}
