import XCTest
@testable import Gatehouse
@testable import GatehouseServer

/// The one-pass RequestBuilder against the builder it replaced (kept below as it was): the
/// same Request from the same meta-variables, for golden requests and for thousands of
/// hostile ones (repeated and missing variables, bytes above 0x7F, CR, LF and NUL, odd
/// Content-Lengths, long request ids).
final class RequestBuilderEquivalenceTests: XCTestCase {
    func testNginxRequestsBuildAsBefore() throws {
        let golden: [[(String, String)]] = [
            [("SCRIPT_NAME", "/auth"), ("PATH_INFO", "/users/me/"), ("QUERY_STRING", ""), ("REQUEST_METHOD", "GET"),
             ("CONTENT_TYPE", ""), ("CONTENT_LENGTH", ""), ("REQUEST_URI", "/auth/users/me/"), ("SERVER_PROTOCOL", "HTTP/1.1"),
             ("REQUEST_SCHEME", "http"), ("GATEWAY_INTERFACE", "CGI/1.1"), ("SERVER_SOFTWARE", "nginx/1.22.1"),
             ("REMOTE_ADDR", "127.0.0.1"), ("REMOTE_PORT", "51234"), ("SERVER_ADDR", "127.0.0.1"), ("SERVER_PORT", "8080"),
             ("SERVER_NAME", "localhost"), ("REQUEST_ID", "4f2b8c1d9e7a6b5c3d2e1f0a9b8c7d6e"), ("HTTP_HOST", "127.0.0.1:8080"),
             ("HTTP_AUTHORIZATION", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqb2huZG9lIn0.c2ln"),
             ("HTTP_USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64)"), ("HTTP_ACCEPT_ENCODING", "gzip, deflate, br")],
            [("REQUEST_METHOD", "POST"), ("PATH_INFO", "/token"), ("CONTENT_TYPE", "application/x-www-form-urlencoded"),
             ("CONTENT_LENGTH", "47"), ("HTTPS", "on"), ("SERVER_NAME", "auth.example"), ("SERVER_PORT", "443")],
            [("REQUEST_METHOD", "HEAD"), ("HTTPS", "ON"), ("SERVER_PORT", "8443"), ("HTTP_X_FORWARDED_PROTO", "https")],
            [("PATH_INFO", "users"), ("SCRIPT_NAME", "/auth/"), ("HTTPS", "1"), ("SERVER_PORT", "80"), ("GATEHOUSE_REQUIRE", "role=admin")],
            [],
        ]
        for params in golden { try assertSame(params.map { ($0.0, Array($0.1.utf8)) }) }
    }

    func testHostileVariablesBuildAsBefore() throws {
        var random = SplitMix(seed: 0x6761_7465_686f_7573)
        let names = ["REQUEST_METHOD", "PATH_INFO", "SCRIPT_NAME", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH", "HTTPS",
                     "SERVER_NAME", "SERVER_PORT", "REMOTE_ADDR", "REQUEST_ID", "GATEHOUSE_REQUIRE", "REMOTE_PORT", "HTTP_",
                     "HTTP_HOST", "HTTP_AUTHORIZATION", "HTTP_COOKIE", "HTTP_X_API_KEY", "HTTP_CONTENT_LENGTH", "PATH_INF",
                     "HTTPSX", "http_host"]
        let alphabet: [UInt8] = Array("aZ09_-=/. :;,\"'\\".utf8) + [0x0D, 0x0A, 0x09, 0x00, 0x7F, 0x80, 0xC3, 0xA9, 0xFF, 0xE2, 0x80, 0xA8]
        func bytes(_ maxCount: Int) -> [UInt8] { (0..<random.below(maxCount + 1)).map { _ in alphabet[random.below(alphabet.count)] } }
        for _ in 0..<4000 {
            var params: [(String, [UInt8])] = []
            for _ in 0..<random.below(12) {
                var name = Array(names[random.below(names.count)].utf8)
                if random.below(4) == 0 { name += bytes(6).filter { $0 != UInt8(ascii: "=") && $0 != 0 } }
                var value = bytes(random.below(3) == 0 ? 90 : 12)
                if random.below(5) == 0 { value = Array(String(random.below(3_000_000)).utf8) + (random.below(2) == 0 ? [] : bytes(3)) }
                // Names reach the builder as latin-1 text (the FastCGI path), never as arbitrary Unicode.
                params.append((Latin1.string(name), value))
            }
            try assertSame(params)
        }
    }

    /// Through the C-string path too: the same variables as `NAME=value` strings, one without `=` skipped.
    func testTheEnvironmentPathReadsTheSameVariables() throws {
        let params: [(String, [UInt8])] = [("REQUEST_METHOD", Array("GET".utf8)), ("HTTP_X_Y", [0xE9, 0x41]),
                                           ("OTHER", Array("x=y".utf8)), ("PATH_INFO", Array("/a=b".utf8))]
        var strings: [UnsafeMutablePointer<CChar>?] = (params.map { Array($0.0.utf8) + [UInt8(ascii: "=")] + $0.1 } + [Array("NOEQUALS".utf8)])
            .map { bytes in
                let string = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
                for (i, byte) in bytes.enumerated() { string[i] = CChar(bitPattern: byte) }
                string[bytes.count] = 0
                return string
            }
        strings.append(nil)
        defer { for s in strings { s?.deallocate() } }
        let fromEnvironment = strings.withUnsafeMutableBufferPointer { RequestBuilder(environment: $0.baseAddress, maxBodySize: 100) }
        let fromParams = RequestBuilder(params: params, maxBodySize: 100)
        XCTAssertTrue(same(fromEnvironment.head(), fromParams.head()))
        XCTAssertEqual(fromEnvironment.head().headers["x-y"], "\u{E9}A")
        XCTAssertEqual(fromEnvironment.head().path, "/a=b")
        XCTAssertNil(fromEnvironment.value("NOEQUALS"))
    }

    func assertSame(_ params: [(String, [UInt8])], file: StaticString = #filePath, line: UInt = #line) throws {
        let new = RequestBuilder(params: params, maxBodySize: 1000)
        let old = ReferenceRequestBuilder(params: params, maxBodySize: 1000)
        let described = params.map { "\($0.0)=\(String(decoding: $0.1, as: UTF8.self).debugDescription)" }.joined(separator: " ")
        XCTAssertTrue(same(new.head(), old.head()), described, file: file, line: line)
        XCTAssertEqual(Result { try new.bodyLength() }.description, Result { try old.bodyLength() }.description, described,
                       file: file, line: line)
        for name in ["REQUEST_METHOD", "GATEHOUSE_REQUIRE", "HTTP_HOST", "CONTENT_LENGTH"] {
            XCTAssertEqual(new.value(name), old.value(name), "\(name) in \(described)", file: file, line: line)
        }
    }

    func same(_ a: Request, _ b: Request) -> Bool {
        a.method == b.method && a.path == b.path && a.scriptName == b.scriptName && a.rawQuery == b.rawQuery
            && a.headers == b.headers && a.scheme == b.scheme && a.remoteAddress == b.remoteAddress
            && a.serverName == b.serverName && a.serverPort == b.serverPort && a.requestID == b.requestID
    }
}

extension Result where Failure == any Error {
    var description: String {
        switch self {
        case let .success(value): return "\(value)"
        case let .failure(error): return "\((error as? HTTPError)?.status ?? 0)"
        }
    }
}

/// A deterministic generator: the same hostile inputs on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
}

/// RequestBuilder before the one-pass rewrite, as it was: the reference.
struct ReferenceRequestBuilder {
    var params: [(name: String, value: [UInt8])]
    var maxBodySize: Int

    init(params: [(name: String, value: [UInt8])], maxBodySize: Int) {
        self.params = params
        self.maxBodySize = maxBodySize
    }

    func value(_ name: String) -> [UInt8]? {
        params.first { $0.name == name }?.value
    }

    static func headerName(cgi name: String) -> String {
        String(decoding: name.utf8.dropFirst(5).map { b -> UInt8 in
            switch b {
            case UInt8(ascii: "_"): return UInt8(ascii: "-")
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): return b + 32
            default: return b
            }
        }, as: UTF8.self)
    }

    func bodyLength() throws(HTTPError) -> RequestBuilder.BodyLength {
        guard let raw = value("CONTENT_LENGTH"), !raw.isEmpty else { return .bytes(0) }
        guard raw.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw HTTPError(400, "Invalid Content-Length")
        }
        guard let n = Int(Latin1.string(raw)), n <= maxBodySize else { return .tooLarge }
        return .bytes(n)
    }

    func head() -> Request {
        func text(_ name: String) -> String { value(name).map { String(decoding: $0, as: UTF8.self) } ?? "" }
        func latin1(_ name: String) -> String { value(name).map { Latin1.string($0) } ?? "" }

        var headers = Headers()
        for (name, value) in params where name.hasPrefix("HTTP_") {
            headers.add(ReferenceRequestBuilder.headerName(cgi: name), Latin1.string(value))
        }
        if let type = value("CONTENT_TYPE"), !type.isEmpty { headers.add("content-type", Latin1.string(type)) }
        if let length = value("CONTENT_LENGTH"), !length.isEmpty { headers.add("content-length", Latin1.string(length)) }

        let https = latin1("HTTPS").lowercased()
        let scheme = https == "on" || https == "1" ? "https" : "http"
        if !headers.contains("host") {
            var host = latin1("SERVER_NAME")
            let port = latin1("SERVER_PORT")
            if host.isEmpty { host = "localhost" }
            if !port.isEmpty && port != (scheme == "https" ? "443" : "80") { host += ":" + port }
            headers.add("host", host)
        }
        let method = latin1("REQUEST_METHOD")
        return Request(
            method: method.isEmpty ? "GET" : method, path: text("PATH_INFO"), scriptName: text("SCRIPT_NAME"),
            rawQuery: latin1("QUERY_STRING"), headers: headers, scheme: scheme, remoteAddress: latin1("REMOTE_ADDR"),
            serverName: latin1("SERVER_NAME"), serverPort: latin1("SERVER_PORT"),
            requestID: String(latin1("REQUEST_ID").prefix(64)))
    }
}
