import XCTest
@testable import Gatehouse
@testable import GatehouseServer

/// FastCGI/CGI meta-variables and a body stream into a Request, as every adapter builds it.
final class RequestBuilderTests: XCTestCase {
    func builder(_ params: [(String, String)], maxBodySize: Int = 1 << 20) -> RequestBuilder {
        RequestBuilder(params: params.map { ($0.0, Array($0.1.utf8)) }, maxBodySize: maxBodySize)
    }

    func testHeadersPathAndServer() {
        let request = builder([
            ("REQUEST_METHOD", "POST"), ("SCRIPT_NAME", "/auth"), ("PATH_INFO", "/token"), ("QUERY_STRING", "a=1"),
            ("HTTP_X_API_KEY", "k"), ("CONTENT_TYPE", "application/json"), ("CONTENT_LENGTH", "2"),
            ("SERVER_NAME", "auth.example"), ("SERVER_PORT", "8443"), ("HTTPS", "on"), ("REMOTE_ADDR", "192.0.2.1"),
        ]).head()
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.scriptName, "/auth")
        XCTAssertEqual(request.path, "/token")
        XCTAssertEqual(request.rawQuery, "a=1")
        XCTAssertEqual(request.headers["x-api-key"], "k")
        XCTAssertEqual(request.headers["content-type"], "application/json")
        XCTAssertEqual(request.headers["host"], "auth.example:8443", "from SERVER_NAME and a non-default port")
        XCTAssertEqual(request.scheme, "https")
        XCTAssertEqual(request.remoteAddress, "192.0.2.1")
        XCTAssertEqual(request.serverAuthority, "auth.example:8443")
    }

    func testBodyIsReadExactlyAndALargeOneIsNotRead() throws {
        var chunks: [[UInt8]] = [Array("ab".utf8), Array("cdef".utf8)]
        let read = { (buffer: UnsafeMutableRawBufferPointer) -> Int in
            guard !chunks.isEmpty else { return 0 }
            var chunk = chunks.removeFirst()
            let n = min(chunk.count, buffer.count)
            buffer.copyBytes(from: chunk[..<n])
            if n < chunk.count { chunk.removeFirst(n); chunks.insert(chunk, at: 0) }
            return n
        }
        let request = try builder([("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", "5")]).build(reading: read)
        XCTAssertEqual(request.body, Array("abcde".utf8))
        XCTAssertThrowsError(try builder([("CONTENT_LENGTH", "9")]).build(reading: { _ in 0 })) {
            XCTAssertEqual(($0 as? HTTPError)?.status, 400)
        }
        let large = try builder([("CONTENT_LENGTH", "11")], maxBodySize: 10).build(reading: { _ in XCTFail("read"); return 0 })
        XCTAssertTrue(large.bodyTooLarge)
    }

    func testHEADGetsTheHeadOnly() throws {
        var config = Config()
        config.dataDir = NSTemporaryDirectory() + "gatehouse-rb-\(UUID().uuidString)"
        config.secretKey = LibCrypto.hex(LibCrypto.randomBytes(32))
        defer { try? FileManager.default.removeItem(atPath: config.dataDir) }
        let app = try App.open(config: config)
        let text = String(decoding: builder([("REQUEST_METHOD", "HEAD"), ("PATH_INFO", "/health")]).respond(with: app) { _ in 0 },
                          as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("Status: 405"), text)
        XCTAssertTrue(text.hasSuffix("\r\n\r\n"), "no body: \(text)")
    }
}

/// The main pool's bound on concurrent hashes, shared the way forked workers share it.
final class SharedHashSlotsTests: XCTestCase {
    func testAtMostLimitEnterAndALeftOrClearedSlotFreesRoom() throws {
        let slots = try SharedHashSlots(count: 4, limit: 1)
        let a = slots.limiter(slot: 0)
        let b = slots.limiter(slot: 1)
        XCTAssertTrue(a.tryEnter())
        XCTAssertFalse(b.tryEnter())
        XCTAssertEqual(slots.busy, 1, "a refused worker leaves its slot clear")
        a.leave()
        XCTAssertTrue(b.tryEnter())
        slots.clear(1)  // what the master does for a worker that died mid-hash
        XCTAssertTrue(a.tryEnter())
        XCTAssertFalse(try SharedHashSlots(count: 2, limit: 0).limiter(slot: 0).tryEnter(), "0: never")
    }

    func testTheSlotsAreSharedWithAForkedChild() throws {
        let slots = try SharedHashSlots(count: 2, limit: 1)
        let child = fork()
        if child == 0 { _exit(slots.limiter(slot: 1).tryEnter() ? 0 : 1) }
        var status: Int32 = 0
        waitpid(child, &status, 0)
        XCTAssertEqual(status, 0)
        XCTAssertEqual(slots.busy, 1, "the child's mark is seen by the parent")
        XCTAssertFalse(slots.limiter(slot: 0).tryEnter())
        slots.clear(1)
        XCTAssertTrue(slots.limiter(slot: 0).tryEnter())
    }
}

final class PrivilegesTests: XCTestCase {
    func testAccounts() throws {
        XCTAssertNil(try Privileges.account(user: nil, group: nil))
        let nobody = try XCTUnwrap(Privileges.account(user: "nobody", group: nil))
        XCTAssertEqual(nobody.uid, getpwnam("nobody").pointee.pw_uid)
        XCTAssertThrowsError(try Privileges.account(user: "no-such-user-here", group: nil)) {
            XCTAssertEqual(($0 as? ServerError)?.description, "user = no-such-user-here: no such user")
        }
        var config = Config()
        config.dataDir = "/srv/gh"
        XCTAssertEqual(Privileges.ownedFiles(config), [
            "/srv/gh", "/srv/gh/gatehouse.sqlite3", "/srv/gh/gatehouse.sqlite3-wal", "/srv/gh/gatehouse.sqlite3-shm",
            "/srv/gh/secret_key", "/srv/gh/totp_key", "/srv/gh/account_token_key",
        ])
        config.database = "postgresql:///gatehouse?host=/run/postgresql"
        XCTAssertEqual(Privileges.ownedFiles(config), ["/srv/gh", "/srv/gh/secret_key", "/srv/gh/totp_key", "/srv/gh/account_token_key"],
                       "a PostgreSQL store has no file of its own to hand over")
    }
}
