import CFastCGI
import Glibc
import XCTest
@testable import Gatehouse
@testable import GatehouseServer

/// Gatehouse's own FastCGI reader against libfcgi, which read every request before it: the
/// same bytes from a web server, over a socketpair, give the same request (the Request's head,
/// the meta-variables, the body as the app reads it, whether FCGI_STDIN ended, the role and
/// keep-connection flag), or are refused by both. For nginx's requests as it sends them and for
/// thousands of hostile streams: records split and padded anywhere, other requests' records,
/// management records, a second FCGI_BEGIN_REQUEST, unknown types and roles, lengths past the
/// end, streams cut short, bytes overwritten.
final class FastCGIConnectionTests: XCTestCase {
    struct Outcome: Equatable, CustomStringConvertible {
        var accepted = false
        var role: UInt16 = 0
        var keep = false
        var head = ""
        var values: [[UInt8]?] = []
        var body = ""
        var inputEnded = false

        var description: String {
            accepted ? "role \(role) keep \(keep) head \(head) values \(values) body \(body) ended \(inputEnded)" : "refused"
        }
    }

    static let names = ["REQUEST_METHOD", "GATEHOUSE_REQUIRE", "HTTP_HOST", "CONTENT_LENGTH", "PATH_INFO", "HTTP_AUTHORIZATION"]

    static func outcome(_ builder: RequestBuilder, read: (UnsafeMutableRawBufferPointer) -> Int) -> Outcome {
        var outcome = Outcome(accepted: true)
        let head = builder.head()
        outcome.head = [head.method, head.path, head.scriptName, head.rawQuery, head.scheme, head.remoteAddress, head.serverName,
                        head.serverPort, head.requestID, "\(head.headers.fields.map { "\($0.name): \($0.value)" })"]
            .joined(separator: " | ")
        outcome.values = names.map { builder.value($0) }
        do {
            let request = try builder.build(reading: read)
            outcome.body = request.bodyTooLarge ? "too large" : String(decoding: request.body, as: UTF8.self).debugDescription
        } catch {
            outcome.body = "\(error.status) \(error.detail)"
        }
        return outcome
    }

    /// A socket whose peer sent `bytes` and then shut its side: a reader that wants more gets the
    /// end, never a wait. The peer stays open (its end of the answers unread) until `body` returns.
    static func connection<T>(sending bytes: [UInt8], _ body: (Int32) -> T) -> T {
        var fds: [Int32] = [0, 0]
        precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        bytes.withUnsafeBytes { all in
            var at = 0
            while at < all.count {
                let n = send(fds[1], all.baseAddress! + at, all.count - at, Int32(MSG_NOSIGNAL))
                precondition(n > 0, "the socket buffer holds every test stream")
                at += n
            }
        }
        shutdown(fds[1], Int32(SHUT_WR))
        defer { close(fds[1]) }
        return body(fds[0])
    }

    static func throughLibfcgi(_ bytes: [UInt8]) -> Outcome {
        connection(sending: bytes) { throughLibfcgi(socket: $0) }
    }

    static func throughLibfcgi(socket: Int32) -> Outcome {
        FCGX_Init()
        var request = FCGX_Request()
        FCGX_InitRequest(&request, -1, 0)
        // As the worker used it: a connection accepted already, which the first Finish must not close.
        request.ipcFd = socket
        request.keepConnection = 1
        guard FCGX_Accept_r(&request) >= 0 else { return Outcome() }
        defer { FCGX_Free(&request, 1) }
        let input = request.in
        // libfcgi takes a FCGI_PARAMS stream that broke off as complete, its error kept on the stream.
        let paramsBroke = FCGX_GetError(input) != 0
        var outcome = outcome(RequestBuilder(environment: request.envp, maxBodySize: 1 << 16)) { buffer in
            Int(FCGX_GetStr(buffer.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(buffer.count), input))
        }
        var scratch = [CChar](repeating: 0, count: 4096)
        while FCGX_GetStr(&scratch, Int32(scratch.count), input) > 0 {}
        outcome.inputEnded = FCGX_HasSeenEOF(input) == EOF && FCGX_GetError(input) == 0 && !paramsBroke
        outcome.role = UInt16(request.role)
        outcome.keep = request.keepConnection != 0
        return outcome
    }

    static func throughGatehouse(_ bytes: [UInt8]) -> Outcome {
        connection(sending: bytes) { throughGatehouse(socket: $0) }
    }

    static func throughGatehouse(socket: Int32) -> Outcome {
        let connection = FastCGIConnection()
        connection.open(socket)
        defer { connection.close() }
        var builder = RequestBuilder(maxBodySize: 1 << 16)
        guard connection.readRequest(), connection.params.withUnsafeBytes({ builder.load(fastCGIParams: $0) }) else { return Outcome() }
        var outcome = outcome(builder) { connection.readInput(into: $0) }
        outcome.inputEnded = connection.finishInput(limit: 1 << 20)
        outcome.role = connection.role
        outcome.keep = connection.keepConnection
        return outcome
    }

    /// Where libfcgi read the request to the end of FCGI_STDIN, the same request; where it refused
    /// the connection, a refusal. Where it accepted the parameters but never saw its input end
    /// cleanly (a stream broken or cut short), Gatehouse may refuse at once: libfcgi takes a
    /// FCGI_PARAMS stream that breaks off as complete.
    func assertSame(_ bytes: [UInt8], _ what: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line) {
        let old = Self.throughLibfcgi(bytes)
        let new = Self.throughGatehouse(bytes)
        if old.accepted && old.role == 3 {
            XCTAssertFalse(new.accepted, "the Filter role, which Gatehouse refuses: \(what())", file: file, line: line)
        } else if old.accepted && !old.inputEnded {
            if new.accepted {
                XCTAssertEqual(new.head, old.head, what(), file: file, line: line)
                XCTAssertEqual(new.values, old.values, what(), file: file, line: line)
            }
        } else {
            XCTAssertEqual(new, old, what(), file: file, line: line)
        }
    }

    // MARK: - Streams

    static func record(_ type: UInt8, id: UInt16 = 1, _ content: [UInt8], padding: Int = 0) -> [UInt8] {
        [1, type, UInt8(id >> 8), UInt8(id & 0xff), UInt8(content.count >> 8), UInt8(content.count & 0xff), UInt8(padding), 0]
            + content + [UInt8](repeating: 0xAA, count: padding)
    }

    static func begin(id: UInt16 = 1, role: UInt16 = 1, keep: Bool = false) -> [UInt8] {
        record(1, id: id, [UInt8(role >> 8), UInt8(role & 0xff), keep ? 1 : 0, 0, 0, 0, 0, 0])
    }

    static func pairs(_ variables: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        func length(_ n: Int) -> [UInt8] { n < 128 ? [UInt8(n)] : [UInt8(n >> 24) | 0x80, UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] }
        for (name, value) in variables { out += length(name.utf8.count) + length(value.count) + Array(name.utf8) + value }
        return out
    }

    static let nginxParams: [(String, [UInt8])] = [
        ("SCRIPT_NAME", "/auth"), ("PATH_INFO", "/token"), ("QUERY_STRING", "a=1"), ("REQUEST_METHOD", "POST"),
        ("CONTENT_TYPE", "application/x-www-form-urlencoded"), ("CONTENT_LENGTH", "31"), ("REQUEST_URI", "/auth/token?a=1"),
        ("SERVER_PROTOCOL", "HTTP/1.1"), ("GATEWAY_INTERFACE", "CGI/1.1"), ("REMOTE_ADDR", "127.0.0.1"), ("SERVER_PORT", "8080"),
        ("SERVER_NAME", "localhost"), ("REQUEST_ID", "4f2b8c1d9e7a6b5c"), ("HTTP_HOST", "127.0.0.1:8080"),
        ("HTTP_AUTHORIZATION", "Bearer eyJhbGciOiJIUzI1NiJ9." + String(repeating: "x", count: 300)),
    ].map { ($0.0, Array($0.1.utf8)) }
    static let body = Array("username=johndoe&password=secret".utf8.prefix(31))

    /// nginx's way: one record of parameters, their end, the body and its end.
    static func nginxRequest(keep: Bool = false, role: UInt16 = 1) -> [UInt8] {
        begin(role: role, keep: keep) + record(4, pairs(nginxParams)) + record(4, []) + record(5, body) + record(5, [])
    }

    func testNginxRequestsReadAsLibfcgiReadThem() {
        assertSame(Self.nginxRequest(), "nginx's POST")
        assertSame(Self.nginxRequest(keep: true), "kept connection")
        assertSame(Self.nginxRequest(role: 2), "authorizer")
        assertSame(Self.begin() + Self.record(4, Self.pairs([("REQUEST_METHOD", Array("GET".utf8))])) + Self.record(4, [])
                   + Self.record(5, []), "a GET")
        XCTAssertEqual(Self.throughGatehouse(Self.nginxRequest()).body, #""username=johndoe&password=secre""#)
    }

    func testEdgesReadAsLibfcgiReadThem() {
        let params = Self.pairs(Self.nginxParams)
        let cases: [(String, [UInt8])] = [
            ("padding", Self.begin() + Self.record(4, params, padding: 7) + Self.record(4, [])
                + Self.record(5, Self.body, padding: 1) + Self.record(5, [], padding: 255)),
            ("parameters in many records, split inside a pair",
             Self.begin() + stride(from: 0, to: params.count, by: 5).flatMap { Self.record(4, Array(params[$0..<min($0 + 5, params.count)])) }
                + Self.record(4, []) + Self.record(5, Self.body) + Self.record(5, [])),
            ("a four-byte length", Self.begin() + Self.record(4, Self.pairs([("HTTP_X_LONG", [UInt8](repeating: 65, count: 300))]))
                + Self.record(4, []) + Self.record(5, [])),
            ("management records before and inside", Self.record(9, id: 0, Self.pairs([("FCGI_MAX_CONNS", []), ("OTHER", [])]))
                + Self.begin() + Self.record(77, id: 0, []) + Self.record(4, params) + Self.record(4, [])
                + Self.record(9, id: 0, Self.pairs([("FCGI_MPXS_CONNS", [])])) + Self.record(5, Self.body) + Self.record(5, [])),
            ("records of another request", Self.record(4, id: 9, [1, 2, 3]) + Self.begin() + Self.record(5, id: 2, [1])
                + Self.record(4, params) + Self.record(4, []) + Self.record(5, id: 7, Self.body) + Self.record(5, Self.body) + Self.record(5, [])),
            ("a second request begun", Self.begin() + Self.record(4, params) + Self.begin(id: 2) + Self.record(4, [])
                + Self.begin(id: 3) + Self.record(5, Self.body) + Self.record(5, [])),
            ("the body in bytes", Self.begin() + Self.record(4, params) + Self.record(4, []) + Self.body.flatMap { Self.record(5, [$0]) }
                + Self.record(5, [])),
            ("a body longer than announced", Self.begin() + Self.record(4, params) + Self.record(4, []) + Self.record(5, Self.body + Self.body)
                + Self.record(5, [])),
            ("no end of the body", Self.begin() + Self.record(4, params) + Self.record(4, []) + Self.record(5, Self.body)),
            ("a body cut short", Self.begin() + Self.record(4, params) + Self.record(4, []) + Self.record(5, Array(Self.body.prefix(9)))),
            ("a pair past the end", Self.begin() + Self.record(4, [5, 3] + Array("PATH".utf8)) + Self.record(4, []) + Self.record(5, [])),
            ("a four-byte length past the end", Self.begin() + Self.record(4, [0xFF, 0xFF, 0xFF, 0xFF, 1, 65]) + Self.record(4, [])),
            ("a NUL and '=' in names and values", Self.begin() + Self.record(4, Self.pairs([("PATH_INFO", Array("/a\u{0}b".utf8)),
                ("HTTP_X=Y", Array("v".utf8)), ("REQUEST_METHOD\u{0}X", Array("PUT".utf8)), ("HTTP_Z", [0xE9, 0x0D, 0x41])]))
                + Self.record(4, []) + Self.record(5, [])),
            ("parameters while reading the body", Self.begin() + Self.record(4, params) + Self.record(4, []) + Self.record(4, params)),
            ("an abort", Self.begin() + Self.record(4, params) + Self.record(4, []) + Self.record(2, [])),
            ("version 2", [2] + Array(Self.nginxRequest().dropFirst())),
            ("a begin of the wrong length", Self.record(1, [0, 1, 0, 0, 0, 0, 0])),
            ("a begin with id 0", Self.begin(id: 0) + Self.record(4, []) + Self.record(5, [])),
            ("the filter role", Self.nginxRequest(role: 3)),
            ("an unknown role", Self.nginxRequest(role: 9)),
            ("nothing", []),
            ("half a header", [1, 1, 0]),
        ]
        for (what, bytes) in cases { assertSame(bytes, what) }
    }

    /// Where libfcgi departs from the specification, the specification: padding after
    /// FCGI_BEGIN_REQUEST and after the record that ends FCGI_PARAMS (libfcgi reads it as the next
    /// header) and the content of a management
    /// record of an unknown type (libfcgi does not pass over it) are passed over; a FCGI_PARAMS
    /// stream that breaks off, or one interrupted by FCGI_STDIN, is no request (libfcgi takes what came).
    func testWhereLibfcgiStraysTheSpecificationHolds() {
        let params = Self.pairs(Self.nginxParams)
        let read = Self.throughGatehouse(Self.nginxRequest())
        XCTAssertTrue(read.accepted && read.inputEnded)
        for (what, bytes) in [
            ("padding after the request's beginning", Self.record(1, [0, 1, 0, 0, 0, 0, 0, 0], padding: 8) + Self.record(4, params)
                + Self.record(4, []) + Self.record(5, Self.body) + Self.record(5, [])),
            ("padding after the end of the parameters",
             Self.begin() + Self.record(4, params) + Self.record(4, [], padding: 3) + Self.record(5, Self.body) + Self.record(5, [])),
            ("an unknown management record with content",
             Self.record(77, id: 0, [1, 2, 3]) + Self.begin() + Self.record(4, params) + Self.record(4, []) + Self.record(5, Self.body)
                + Self.record(78, id: 0, [9]) + Self.record(5, [])),
        ] {
            XCTAssertEqual(Self.throughGatehouse(bytes), read, what)
        }
        XCTAssertFalse(Self.throughGatehouse(Self.begin() + Self.record(4, params)).accepted, "parameters that break off")
        XCTAssertFalse(Self.throughGatehouse(Self.begin() + Self.record(5, Self.body)).accepted, "stdin while reading parameters")
    }

    func testHostileStreamsReadAsLibfcgiReadThem() {
        var random = SplitMix(seed: 0x6663_6769_7374_7265)
        for round in 0..<1500 {
            var variables = Self.nginxParams.filter { _ in random.below(4) != 0 }
            if random.below(3) == 0 { variables.append(("CONTENT_LENGTH", Array(String(random.below(60)).utf8))) }
            let params = Self.pairs(variables)
            let body = (0..<random.below(80)).map { _ in UInt8(random.below(256)) }
            var stream = Self.begin(role: [1, 1, 1, 2, 3, 0][random.below(6)], keep: random.below(2) == 0)
            func chunks(_ type: UInt8, _ bytes: [UInt8]) -> [UInt8] {
                var out: [UInt8] = []
                var at = 0
                while at < bytes.count {
                    let n = min(bytes.count - at, 1 + random.below(40))
                    // An unknown management type without content: libfcgi does not pass over its content.
                    if random.below(8) == 0 {
                        out += random.below(2) == 0 ? Self.record(9, id: 0, Self.pairs([("FCGI_MAX_REQS", [])])) : Self.record(3, id: 0, [])
                    }
                    if random.below(8) == 0 { out += Self.record(type, id: UInt16(2 + random.below(3)), [7, 7]) }
                    if random.below(20) == 0 { out += Self.begin(id: 5) }
                    out += Self.record(type, Array(bytes[at..<(at + n)]), padding: random.below(3) == 0 ? random.below(9) : 0)
                    at += n
                }
                // The end of FCGI_PARAMS without padding: libfcgi reads that padding as the next header.
                if random.below(12) != 0 { out += Self.record(type, [], padding: type == 5 ? random.below(2) * 4 : 0) }
                return out
            }
            stream += chunks(4, params) + chunks(5, body)
            switch random.below(6) {
            case 0 where !stream.isEmpty: stream = Array(stream.prefix(random.below(stream.count)))  // cut short
            case 1 where !stream.isEmpty:
                // A byte overwritten, but not the padding length of the first record (libfcgi reads
                // FCGI_BEGIN_REQUEST's padding as the next header; see testWhereLibfcgiStraysTheSpecificationHolds).
                let at = random.below(stream.count)
                if at != 6 { stream[at] = UInt8(random.below(256)) }
            default: break
            }
            assertSame(stream, "round \(round): \(stream)")
        }
    }
}
