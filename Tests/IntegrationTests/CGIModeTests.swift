import Foundation
import XCTest

/// The binary as a CGI program (environment + stdin in, response bytes out) and
/// `gatehouse request`, compared byte for byte.
final class CGIModeTests: XCTestCase {
    static let health = Array("Status: 200 OK\r\ncontent-type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}".utf8)

    static func detail(_ status: String, _ detail: String, extra: String = "") -> [UInt8] {
        let body = "{\"detail\":\"\(detail)\"}"
        return Array("Status: \(status)\r\n\(extra)content-type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
    }

    /// Runs the binary with only these CGI variables (and a config in a temp dir).
    func cgi(_ env: [String: String], stdin: [UInt8] = [], config: String = "") throws -> ProcessOutput {
        let dir = NSTemporaryDirectory() + "gatehouse-cgi-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "data_dir = \(dir)\n\(config)".write(toFile: dir + "/g.conf", atomically: true, encoding: .utf8)
        return try Harness.run(
            Harness.binary, [], stdin: stdin, environment: env.merging(["GATEHOUSE_CONFIG": dir + "/g.conf"]) { a, _ in a },
            cleanEnvironment: true)
    }

    func testCGIAnswersOneRequestByteForByte() throws {
        let ok = try cgi(["REQUEST_METHOD": "GET", "PATH_INFO": "/health", "SERVER_NAME": "localhost", "SERVER_PORT": "80"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(ok.stdout, Self.health)

        let empty = try cgi(["REQUEST_METHOD": "GET", "PATH_INFO": ""])
        XCTAssertEqual(empty.stdout, Self.detail("404 Not Found", "Not Found"), "empty PATH_INFO is /")

        let head = try cgi(["REQUEST_METHOD": "HEAD", "PATH_INFO": "/nope"])
        XCTAssertEqual(head.stdout, Array("Status: 404 Not Found\r\ncontent-type: application/json\r\nContent-Length: 22\r\n\r\n".utf8))
    }

    func testCGIRedirectUsesHostOrServerNameAndScheme() throws {
        func location(_ env: [String: String]) throws -> String {
            let out = try cgi(env.merging(["REQUEST_METHOD": "GET", "PATH_INFO": "/health/", "SCRIPT_NAME": "/auth"]) { a, _ in a })
            let text = String(decoding: out.stdout, as: UTF8.self)
            XCTAssertTrue(text.hasPrefix("Status: 307 Temporary Redirect\r\n"), text)
            return text.components(separatedBy: "\r\n").first { $0.hasPrefix("location: ") }.map { String($0.dropFirst(10)) } ?? ""
        }
        XCTAssertEqual(try location(["HTTP_HOST": "example.com:8080", "QUERY_STRING": "q=%C3%A9"]), "http://example.com:8080/auth/health?q=%C3%A9")
        XCTAssertEqual(try location(["SERVER_NAME": "example.org", "SERVER_PORT": "8080"]), "http://example.org:8080/auth/health")
        XCTAssertEqual(try location(["SERVER_NAME": "example.org", "SERVER_PORT": "80"]), "http://example.org/auth/health")
        XCTAssertEqual(try location(["SERVER_NAME": "example.org", "SERVER_PORT": "443", "HTTPS": "on"]), "https://example.org/auth/health")
        XCTAssertEqual(try location(["HTTP_HOST": "h", "HTTPS": "off"]), "http://h/auth/health")
    }

    func testCGIBodyErrors() throws {
        let post = ["REQUEST_METHOD": "POST", "PATH_INFO": "/health", "CONTENT_TYPE": "text/plain"]
        for bad in ["abc", "-1", "+5", "1 0", "0x10", " 3"] {
            let out = try cgi(post.merging(["CONTENT_LENGTH": bad]) { $1 }, stdin: Array("abc".utf8))
            XCTAssertEqual(out.stdout, Self.detail("400 Bad Request", "Invalid Content-Length"), "CONTENT_LENGTH=\(bad)")
        }
        let short = try cgi(post.merging(["CONTENT_LENGTH": "10"]) { $1 }, stdin: Array("abc".utf8))
        XCTAssertEqual(short.stdout, Self.detail("400 Bad Request", "Incomplete request body"))
        XCTAssertEqual(short.status, 0)

        let exact = try cgi(post.merging(["CONTENT_LENGTH": "3"]) { $1 }, stdin: Array("abc".utf8))
        XCTAssertEqual(exact.stdout, Self.detail("405 Method Not Allowed", "Method Not Allowed", extra: "allow: GET\r\n"))

        let limit = "max_body_size = 100\n"
        let tooLarge = try cgi(post.merging(["CONTENT_LENGTH": "101"]) { $1 }, stdin: [], config: limit)
        XCTAssertEqual(tooLarge.stdout, Self.detail("413 Content Too Large", "Request body too large"), "not read, so no 400 for the missing bytes")
        let overflow = try cgi(post.merging(["CONTENT_LENGTH": "99999999999999999999999"]) { $1 }, config: limit)
        XCTAssertEqual(overflow.stdout, Self.detail("413 Content Too Large", "Request body too large"))
    }

    /// A CGI run opens the store only when its request reads it: /health and a token that
    /// does not verify touch no database; a login does (and makes it). A store that cannot be
    /// opened then is a 503, its reason on standard error only.
    func testCGIOpensTheStoreOnlyForARequestThatReadsIt() throws {
        let dir = NSTemporaryDirectory() + "gatehouse-cgi-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "data_dir = \(dir)\n".write(toFile: dir + "/g.conf", atomically: true, encoding: .utf8)
        func run(_ env: [String: String], stdin: [UInt8] = []) throws -> ProcessOutput {
            try Harness.run(Harness.binary, [], stdin: stdin, environment: env.merging(["GATEHOUSE_CONFIG": dir + "/g.conf"]) { a, _ in a },
                            cleanEnvironment: true)
        }
        let database = dir + "/gatehouse.sqlite3"
        XCTAssertEqual(try run(["REQUEST_METHOD": "GET", "PATH_INFO": "/health"]).stdout, Self.health)
        XCTAssertFalse(FileManager.default.fileExists(atPath: database), "/health reads no store")
        let garbage = try run(["REQUEST_METHOD": "GET", "PATH_INFO": "/users/me/", "HTTP_AUTHORIZATION": "Bearer not.a.token"])
        XCTAssertEqual(garbage.stdout, Self.detail("401 Unauthorized", "Could not validate credentials", extra: "www-authenticate: Bearer scope=\"me\"\r\n"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: database), "a token that does not verify reads no store")

        let form = Array("username=nobody&password=wrongpassword".utf8)
        let login = try run(["REQUEST_METHOD": "POST", "PATH_INFO": "/token", "CONTENT_TYPE": "application/x-www-form-urlencoded",
                             "CONTENT_LENGTH": String(form.count)], stdin: form)
        XCTAssertEqual(login.stdout, Self.detail("400 Bad Request", "Incorrect username or password"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: database), "a login reads the store, made at first use")

        try "data_dir = \(dir)\ndatabase = \(dir)/g.conf/gatehouse.sqlite3\n".write(toFile: dir + "/g.conf", atomically: true, encoding: .utf8)
        let broken = try run(["REQUEST_METHOD": "POST", "PATH_INFO": "/token", "CONTENT_TYPE": "application/x-www-form-urlencoded",
                              "CONTENT_LENGTH": String(form.count)], stdin: form)
        XCTAssertEqual(broken.stdout, Self.detail("503 Service Unavailable", "Service unavailable", extra: "retry-after: 1\r\n"))
        XCTAssertTrue(broken.stderr.contains("g.conf is not a directory"), broken.stderr)
        XCTAssertEqual(try run(["REQUEST_METHOD": "GET", "PATH_INFO": "/health"]).stdout, Self.health, "and /health still answers")
    }

    /// libcrypto is opened by the first request that needs it: /health never loads it (nor
    /// does the process's exit), a token to verify does. The loader says which files it opens.
    func testCGILoadsLibcryptoOnlyForARequestThatNeedsIt() throws {
        let health = try cgi(["REQUEST_METHOD": "GET", "PATH_INFO": "/health", "LD_DEBUG": "files"])
        XCTAssertEqual(health.stdout, Self.health)
        XCTAssertFalse(health.stderr.contains("libcrypto"), health.stderr)
        let token = try cgi(["REQUEST_METHOD": "GET", "PATH_INFO": "/users/me/", "LD_DEBUG": "files",
                             "HTTP_AUTHORIZATION": "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0." + String(repeating: "A", count: 43)])
        XCTAssertEqual(token.stdout, Self.detail("401 Unauthorized", "Could not validate credentials",
                                                 extra: "www-authenticate: Bearer scope=\"me\"\r\n"))
        XCTAssertTrue(token.stderr.contains("file=libcrypto.so.3"), "verifying a signature opened libcrypto: \(token.stderr.suffix(300))")
    }

    func testCGIWithBrokenConfigAnswers500() throws {
        let out = try cgi(["REQUEST_METHOD": "GET", "PATH_INFO": "/health"], config: "no_such_setting = 1\n")
        XCTAssertEqual(out.status, 1)
        XCTAssertEqual(out.stdout, Self.detail("500 Internal Server Error", "Internal Server Error"))
        XCTAssertTrue(out.stderr.contains("no_such_setting"), out.stderr)
    }

    func testRequestCommandPrintsTheExactResponse() throws {
        func request(_ args: [String]) throws -> ProcessOutput {
            try Harness.run(Harness.binary, ["request"] + args, environment: ["GATEHOUSE_DATA_DIR": NSTemporaryDirectory()], cleanEnvironment: true)
        }
        XCTAssertEqual(try request(["GET", "/health"]).stdout, Self.health)
        let redirect = try request(["GET", "/health/?x=1&y=%20", "--script-name", "/auth", "-H", "Host: example.com"])
        XCTAssertEqual(
            redirect.stdout, Array("Status: 307 Temporary Redirect\r\nlocation: http://example.com/auth/health?x=1&y=%20\r\nContent-Length: 0\r\n\r\n".utf8))
        XCTAssertEqual(
            try request(["POST", "/health", "-d", "a=1"]).stdout,
            Self.detail("405 Method Not Allowed", "Method Not Allowed", extra: "allow: GET\r\n"))
        XCTAssertEqual(
            try request(["POST", "/health", "-H", "Content-Length: x1"]).stdout, Self.detail("400 Bad Request", "Invalid Content-Length"))
        XCTAssertEqual(
            try request(["POST", "/health", "-H", "Content-Length: 5", "-d", "abc"]).stdout,
            Self.detail("400 Bad Request", "Incomplete request body"))
        XCTAssertEqual(try request(["GET", "/he%61lth"]).stdout, Self.health, "the path is percent-decoded as nginx does")

        let file = NSTemporaryDirectory() + "gatehouse-body-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: file, contents: Data(count: 2000))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let big = try Harness.run(
            Harness.binary, ["request", "PUT", "/health", "--data-file", file],
            environment: ["GATEHOUSE_DATA_DIR": NSTemporaryDirectory(), "GATEHOUSE_MAX_BODY_SIZE": "1999"], cleanEnvironment: true)
        XCTAssertEqual(big.stdout, Self.detail("413 Content Too Large", "Request body too large"))

        let bad = try request(["GET", "health"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("starts with /"), bad.stderr)
    }
}
