import Foundation
import Synchronization
import XCTest

/// Hostile peers on the FastCGI socket itself and slow clients through nginx: workers drop
/// what never becomes a request within socket_timeout_seconds, and none of them dies
/// (same PIDs before and after) or stays stuck (nginx's next request is answered).
final class FastCGISocketTests: XCTestCase {
    static let timeout = 1
    var h: Harness!

    override func setUpWithError() throws {
        h = try Harness.start(config: ["socket_timeout_seconds": String(Self.timeout)], workers: 2)
    }

    override func tearDown() {
        h?.stop()
        super.tearDown()
    }

    /// /health through nginx answers 200 within a bound that only holds if no worker is
    /// stuck, and the master's workers are the ones there were.
    /// `queued`: hostile connections ahead of nginx's in the socket's queue, each of which may
    /// hold a worker for two timeouts (one for the parameters, one for the body).
    func assertPoolServes(_ workers: Set<Int32>, queued: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let bound = (queued + workers.count - 1) / workers.count * 2 * Self.timeout + 5
        let r = try h.curl(["--max-time", String(bound), h.url("/auth/health")])
        XCTAssertEqual(r.status, 200, r.text, file: file, line: line)
        XCTAssertEqual(h.workerPIDs(), workers, "no worker died or was replaced", file: file, line: line)
        XCTAssertFalse(h.serverLog().contains("was killed by signal"), file: file, line: line)
    }

    /// More silent peers than workers: each worker drops its own after the timeout.
    func testPeersThatConnectAndSayNothing() throws {
        let workers = h.workerPIDs()
        XCTAssertEqual(workers.count, 2)
        let peers = try (0..<4).map { _ in try FastCGIPeer(h.socketPath) }
        defer { peers.forEach { $0.close() } }
        try assertPoolServes(workers, queued: peers.count)
        for peer in peers.prefix(2) {
            XCTAssertTrue(peer.waitForHangUp(seconds: Double(4 * Self.timeout)), "the worker hung up on the silent peer")
        }
    }

    /// Each a connection that libfcgi must refuse: the pool still answers after all of them.
    func testGarbageRecords() throws {
        let workers = h.workerPIDs()
        let begin = FastCGIPeer.record(type: 1, id: 1, content: [0, 1, 0, 0, 0, 0, 0, 0])  // RESPONDER
        let garbage: [(String, [UInt8])] = [
            ("random bytes", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }),
            ("wrong version", [9, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
            ("a header cut short", [1, 1, 0]),
            ("unknown record type", FastCGIPeer.record(type: 77, id: 1, content: [1, 2, 3])),
            ("unknown role", FastCGIPeer.record(type: 1, id: 1, content: [0, 9, 0, 0, 0, 0, 0, 0])),
            ("params longer than sent", begin + [1, 4, 0, 1, 0xff, 0xff, 0, 0] + Array("\u{4}\u{3}PATH".utf8)),
            ("a name length beyond the record", begin + FastCGIPeer.record(type: 4, id: 1, content: [0x7f, 0xff, 0xff, 0xff, 3, 65, 66, 67])),
            ("params, then nothing", begin + FastCGIPeer.params(["REQUEST_METHOD": "POST", "CONTENT_LENGTH": "100"])),
            ("params and half a body", begin + FastCGIPeer.params(["REQUEST_METHOD": "POST", "SCRIPT_NAME": "",
                                                                   "PATH_INFO": "/token", "CONTENT_LENGTH": "100",
                                                                   "CONTENT_TYPE": "application/x-www-form-urlencoded"])
                + FastCGIPeer.params([:]) + FastCGIPeer.record(type: 5, id: 1, content: Array("username=".utf8))),
        ]
        for (what, bytes) in garbage {
            let peer = try FastCGIPeer(h.socketPath)
            peer.send(bytes)
            XCTAssertTrue(peer.waitForHangUp(seconds: Double(3 * Self.timeout)), "\(what): the worker hangs up (or answers)")
            peer.close()
        }
        // And the same all at once, left open, against two workers.
        let open = try garbage.map { _, bytes in try FastCGIPeer(h.socketPath).sending(bytes) }
        defer { open.forEach { $0.close() } }
        try assertPoolServes(workers, queued: open.count)
    }

    /// A web server that keeps its connection (FCGI_KEEP_CONN) sends the next request on it:
    /// it is answered on the same connection, and the worker still serves others when it goes.
    func testAKeptConnectionCarriesTheNextRequest() throws {
        let workers = h.workerPIDs()
        let peer = try FastCGIPeer(h.socketPath)
        defer { peer.close() }
        let params = FastCGIPeer.params(["REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/health",
                                         "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_URI": "/health"])
        let request = FastCGIPeer.record(type: 1, id: 1, content: [0, 1, 1, 0, 0, 0, 0, 0])  // RESPONDER, KEEP_CONN
            + params + FastCGIPeer.params([:]) + FastCGIPeer.record(type: 5, id: 1, content: [])
        for round in 1...2 {
            peer.send(request)
            let answer = peer.readUntilEndRequest(seconds: 10)
            XCTAssertTrue(answer.contains("Status: 200") || answer.contains("status: 200"), "round \(round): \(answer)")
            XCTAssertTrue(answer.contains(#"{"status":"ok"}"#), "round \(round): \(answer)")
        }
        peer.close()
        try assertPoolServes(workers, queued: 1)
    }

    /// A peer that sends its parameters a byte every half timeout (each read within the read
    /// timeout) is dropped once the timeout has passed since its request began, not served forever.
    func testParametersTrickledAreCutOffAfterTheTimeout() throws {
        let workers = h.workerPIDs()
        let peer = try FastCGIPeer(h.socketPath)
        let stream = FastCGIPeer.record(type: 1, id: 1, content: [0, 1, 0, 0, 0, 0, 0, 0])
            + FastCGIPeer.record(type: 4, id: 1, content: [UInt8](repeating: 0, count: 200))
        let stop = Atomic<Bool>(false)
        let trickled = DispatchSemaphore(value: 0)
        defer {
            stop.store(true, ordering: .relaxed)
            trickled.wait()  // no write to a descriptor number that a close could hand to someone else
            peer.close()
        }
        let fd = peer.fd
        Thread {
            for byte in stream.prefix(40) where !stop.load(ordering: .relaxed) {
                _ = withUnsafeBytes(of: byte) { Glibc.send(fd, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }
                usleep(UInt32(Self.timeout) * 500_000)
            }
            trickled.signal()
        }.start()
        XCTAssertTrue(peer.waitForHangUp(seconds: Double(4 * Self.timeout)), "the worker hung up on the trickling peer")
        stop.store(true, ordering: .relaxed)
        try assertPoolServes(workers, queued: 1)
    }

    /// A request whose input was read to its end: the worker closes the connection outright
    /// (no half-close and wait for the web server's close), so once the answer ended, a write
    /// finds no one listening.
    func testAFinishedConnectionIsClosedOutright() throws {
        let peer = try FastCGIPeer(h.socketPath)
        defer { peer.close() }
        peer.send(FastCGIPeer.record(type: 1, id: 1, content: [0, 1, 0, 0, 0, 0, 0, 0])  // RESPONDER
            + Self.healthParams + FastCGIPeer.params([:]) + FastCGIPeer.record(type: 5, id: 1, content: []))
        XCTAssertTrue(peer.readUntilEndRequest(seconds: 10).contains(#"{"status":"ok"}"#))
        XCTAssertTrue(peer.waitForHangUp(seconds: 10))
        XCTAssertEqual(peer.write([1]), EPIPE, "the worker's end is closed, not only shut for writing")
    }

    /// Input left unread when the answer goes (here FCGI_STDIN never ends): libfcgi's own close,
    /// which shuts the worker's side for writing and still reads what arrives, so that late
    /// input cannot turn into a reset that destroys the answer.
    func testUnfinishedInputGetsTheCarefulClose() throws {
        let peer = try FastCGIPeer(h.socketPath)
        defer { peer.close() }
        peer.send(FastCGIPeer.record(type: 1, id: 1, content: [0, 1, 0, 0, 0, 0, 0, 0])
            + Self.healthParams + FastCGIPeer.params([:]) + FastCGIPeer.record(type: 5, id: 1, content: Array("stray".utf8)))
        XCTAssertTrue(peer.readUntilEndRequest(seconds: 10).contains(#"{"status":"ok"}"#))
        XCTAssertTrue(peer.waitForHangUp(seconds: 10))
        XCTAssertEqual(peer.write([1]), 0, "the worker still reads after its half-close")
    }

    static let healthParams = FastCGIPeer.params(["REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/health",
                                                  "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_URI": "/health"])

    /// Through nginx's unbuffered mount (the root one): clients that send a body a little at a
    /// time, or stop midway, and more of them than workers. Each is cut off after the timeout
    /// (400 Incomplete request body, or nginx's own error once it gave up), never served forever.
    func testSlowBodiesThroughNginx() throws {
        let workers = h.workerPIDs()
        let clients = try (0..<4).map { _ in try SlowHTTPClient(port: h.port) }
        let trickled = DispatchSemaphore(value: 0)
        defer {
            trickled.wait()  // no write to a descriptor number that a close could hand to someone else
            clients.forEach { $0.close() }
        }
        for client in clients {
            client.send("POST /users/me/api-keys HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Authorization: Basic am9obmRvZTpzZWNyZXQ=\r\nContent-Length: 1000\r\n\r\n{")
        }
        // A trickle: a byte every half timeout keeps every single read under the timeout.
        let trickle = Thread {
            for _ in 0..<(12 * Self.timeout) {
                usleep(UInt32(Self.timeout) * 500_000)
                for client in clients { client.send(" ") }
            }
            trickled.signal()
        }
        trickle.start()
        try assertPoolServes(workers, queued: clients.count)
        for client in clients {
            let answer = client.readAnswer(seconds: Double(6 * Self.timeout))
            XCTAssertFalse(answer.isEmpty, "the slow client got an answer or a hang-up, not a wait without end")
            XCTAssertFalse(answer.hasPrefix("HTTP/1.1 2"), answer)
        }
    }
}

/// A raw client of the FastCGI unix socket.
final class FastCGIPeer {
    private(set) var fd: Int32

    init(_ path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let ok = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard ok == 0 else { Glibc.close(fd); throw HarnessError("connect \(path): \(String(cString: strerror(errno)))") }
    }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// One send: 0 when it went out, else its errno (EPIPE once the worker's end is closed).
    func write(_ bytes: [UInt8]) -> Int32 {
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return sent < 0 ? errno : 0
    }

    func sending(_ bytes: [UInt8]) -> FastCGIPeer {
        send(bytes)
        return self
    }

    /// True once the other side closed (read gives 0 or an error) within `seconds`.
    func waitForHangUp(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var scratch = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, 100) > 0 else { continue }
            if recv(fd, &scratch, scratch.count, Int32(MSG_DONTWAIT)) <= 0 { return true }
        }
        return false
    }

    /// The stdout records' bytes (as text) up to the END_REQUEST record, or what came within `seconds`.
    func readUntilEndRequest(seconds: Double) -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var received: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: 4096)
        var text = ""
        while Date() < deadline {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, 100) > 0 else { continue }
            let n = recv(fd, &scratch, scratch.count, Int32(MSG_DONTWAIT))
            if n <= 0 { break }
            received += scratch[..<n]
            // Records: 8-byte header (version, type, id, length, padding), content, padding.
            var at = 0
            text = ""
            while at + 8 <= received.count {
                let type = received[at + 1]
                let length = Int(received[at + 4]) << 8 | Int(received[at + 5])
                let padding = Int(received[at + 6])
                guard at + 8 + length + padding <= received.count else { break }
                if type == 6 { text += String(decoding: received[(at + 8)..<(at + 8 + length)], as: UTF8.self) }
                if type == 3 { return text }
                at += 8 + length + padding
            }
        }
        return text
    }

    /// Once: a second close must not hit a descriptor number reused meanwhile.
    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    static func record(type: UInt8, id: UInt16, content: [UInt8]) -> [UInt8] {
        [1, type, UInt8(id >> 8), UInt8(id & 0xff), UInt8(content.count >> 8), UInt8(content.count & 0xff), 0, 0] + content
    }

    /// One FCGI_PARAMS record (an empty one ends them).
    static func params(_ pairs: [String: String]) -> [UInt8] {
        var content: [UInt8] = []
        for (name, value) in pairs.sorted(by: { $0.key < $1.key }) {
            content += [UInt8(name.utf8.count), UInt8(value.utf8.count)] + Array(name.utf8) + Array(value.utf8)
        }
        return record(type: 4, id: 1, content: content)
    }
}

/// A TCP client of nginx that writes whatever it is told, whenever it is told.
final class SlowHTTPClient: Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let ok = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else { Glibc.close(fd); throw HarnessError("connect to nginx: \(String(cString: strerror(errno)))") }
    }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What arrived within `seconds`, up to the close; "closed" for a close without an answer.
    func readAnswer(seconds: Double) -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var received: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, 100) > 0 else { continue }
            let n = recv(fd, &scratch, scratch.count, Int32(MSG_DONTWAIT))
            if n <= 0 { return received.isEmpty ? "closed" : String(decoding: received, as: UTF8.self) }
            received += scratch[..<n]
            if String(decoding: received, as: UTF8.self).contains("\r\n\r\n") { break }
        }
        return String(decoding: received, as: UTF8.self)
    }

    func close() { Glibc.close(fd) }
}
