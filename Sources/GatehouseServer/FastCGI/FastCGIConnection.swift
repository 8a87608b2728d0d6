import Gatehouse
import Glibc

/// One connection from the web server, read and written the way a responder that takes one
/// request at a time does (FastCGI 1.0): FCGI_BEGIN_REQUEST, the FCGI_PARAMS stream, the
/// FCGI_STDIN stream as the app reads its body, then the answer as FCGI_STDOUT and
/// FCGI_END_REQUEST in one write. Management records are answered whenever they come, a second
/// request on the connection is refused with FCGI_CANT_MPX_CONN, records of other requests are
/// passed over, anything else ends the connection.
///
/// A worker has one, reused for every connection it accepts: its buffers are allocated once.
package final class FastCGIConnection {
    /// What one read asks for; nginx's parameters and a small body arrive in one.
    static let bufferSize = 16 << 10
    /// All FCGI_PARAMS of one request; beyond it the connection is dropped. nginx sends a few KiB
    /// (its request headers are limited to 32 KiB by default).
    package static let maxParams = 1 << 20
    /// How long the careful close reads what still arrives.
    static let lingerMilliseconds: Int32 = 2000

    package private(set) var fd: Int32 = -1
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 8)
    /// Read and not yet consumed: `buffer[start..<end]`.
    private var start = 0
    private var end = 0

    package private(set) var requestID: UInt16 = 0
    package private(set) var role: UInt16 = 0
    package private(set) var keepConnection = false
    /// The request's FCGI_PARAMS stream, its name-value pairs as they came.
    package private(set) var params: [UInt8] = []
    /// Content of the current FCGI_STDIN record not yet handed over, and padding still to pass over.
    private var inputLeft = 0
    private var paddingLeft = 0
    /// The empty FCGI_STDIN record came: nothing more of this request is on its way.
    package private(set) var inputEnded = false
    /// The peer closed, a read or write failed or timed out, or the protocol was broken.
    package private(set) var broken = false
    /// No read starts after it (MonotonicClock nanoseconds): with the socket's read timeout, a
    /// peer that trickles its records a byte at a time cannot hold the worker past it.
    package var deadline: UInt64 = .max
    private var output: [UInt8] = []

    package init() {
        params.reserveCapacity(Self.bufferSize)
        output.reserveCapacity(Self.bufferSize)
    }

    deinit { buffer.deallocate() }

    package var isOpen: Bool { fd >= 0 }
    /// Bytes of the next request already read (a kept connection need not wait for them).
    package var hasBufferedInput: Bool { start < end }
    /// Whether the connection can carry the web server's next request.
    package var canKeep: Bool { keepConnection && inputEnded && !broken }

    package func open(_ fd: Int32) {
        self.fd = fd
        start = 0
        end = 0
        broken = false
        inputEnded = false
        deadline = .max
    }

    // MARK: - A request

    /// Reads records until the request's parameters are complete: its id, role and flags, and
    /// `params`. False when the connection ended or broke the protocol first (or the role is
    /// one Gatehouse does not play, which is answered with FCGI_UNKNOWN_ROLE).
    package func readRequest() -> Bool {
        params.removeAll(keepingCapacity: true)
        inputEnded = false
        inputLeft = 0
        paddingLeft = 0
        requestID = 0  // no request yet: every record but a management one is passed over
        guard let begin = nextRecord(of: .beginRequest) else { return false }
        role = UInt16(buffer[start]) << 8 | UInt16(buffer[start + 1])
        keepConnection = buffer[start + 2] & FastCGIRecord.keepConnection != 0
        requestID = begin.requestID
        start += 8
        guard skip(begin.paddingLength) else { return false }
        guard role == FastCGIRecord.responder || role == FastCGIRecord.authorizer else {
            output.removeAll(keepingCapacity: true)
            FastCGIRecord.appendEndRequest(id: requestID, status: .unknownRole, to: &output)
            _ = write(output)
            return fail()
        }
        while true {
            guard let header = nextRecord(of: .params) else { return false }
            if header.contentLength == 0 { return skip(header.paddingLength) }
            guard params.count + header.contentLength <= Self.maxParams else { return fail() }
            guard take(header.contentLength, into: &params), skip(header.paddingLength) else { return false }
        }
    }

    /// Up to `target.count` bytes of FCGI_STDIN: what the buffer holds of the current record,
    /// else what one read brings. 0 at the end of the stream, -1 when the connection broke.
    package func readInput(into target: UnsafeMutableRawBufferPointer) -> Int {
        let count = consumeInput(upTo: target.count)
        if count > 0 { target.baseAddress!.copyMemory(from: buffer.baseAddress! + start - count, byteCount: count) }
        return count
    }

    /// Reads FCGI_STDIN to its end, keeping nothing, but no more than `limit` bytes: whether it ended.
    package func finishInput(limit: Int) -> Bool {
        var discarded = 0
        while !inputEnded && discarded <= limit {
            let count = consumeInput(upTo: limit - discarded + 1)
            if count <= 0 { break }
            discarded += count
        }
        return inputEnded
    }

    /// Passes over up to `limit` bytes of FCGI_STDIN, which lie at `buffer[(start - count)..<start]`
    /// when it returns `count`: 0 at the end of the stream, -1 when the connection broke.
    private func consumeInput(upTo limit: Int) -> Int {
        guard limit > 0 else { return 0 }
        while inputLeft == 0 {
            if inputEnded { return 0 }
            guard !broken, skip(paddingLeft) else { return -1 }
            paddingLeft = 0
            guard let header = nextRecord(of: .stdin) else { return -1 }
            if header.contentLength == 0 {
                inputEnded = skip(header.paddingLength)
                return inputEnded ? 0 : -1
            }
            inputLeft = header.contentLength
            paddingLeft = header.paddingLength
        }
        if start == end { guard fill() else { return -1 } }
        let count = min(limit, inputLeft, end - start)
        start += count
        inputLeft -= count
        return count
    }

    /// Sends `body` (the CGI-style answer: header lines, a blank line, the body) as the request's
    /// FCGI_STDOUT, then FCGI_END_REQUEST.
    package func answer(_ body: [UInt8]) {
        output.removeAll(keepingCapacity: true)
        body.withUnsafeBytes { FastCGIRecord.appendAnswer($0, id: requestID, to: &output) }
        if !write(output) { broken = true }
    }

    // MARK: - Closing

    /// Closes the connection. When the request's input did not reach its end, more may still be
    /// arriving, and closing a socket with unread input resets it, which can destroy the answer
    /// on its way: the careful close shuts our side for writing first and reads until the web
    /// server closes its end (or for `lingerMilliseconds`).
    package func close() {
        guard fd >= 0 else { return }
        if !inputEnded && shutdown(fd, Int32(SHUT_WR)) == 0 {
            let until = MonotonicClock.nanoseconds() + UInt64(Self.lingerMilliseconds) * 1_000_000
            var peer = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while true {
                let now = MonotonicClock.nanoseconds()
                guard now < until, poll(&peer, 1, Int32((until - now) / 1_000_000) + 1) > 0,
                      Glibc.read(fd, buffer.baseAddress!, buffer.count) > 0 else { break }
            }
        }
        Glibc.close(fd)
        fd = -1
        start = 0
        end = 0
    }

    // MARK: - Records

    private func fail() -> Bool {
        broken = true
        return false
    }

    /// Reads until at least `count` bytes are buffered (`count` at most the buffer's size).
    private func have(_ count: Int) -> Bool {
        while end - start < count {
            guard fill() else { return false }
        }
        return true
    }

    /// One read after what is buffered, moving that to the front first when the buffer's end is reached.
    private func fill() -> Bool {
        if start == end {
            start = 0
            end = 0
        } else if end == buffer.count {
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: end - start)
            end -= start
            start = 0
        }
        guard MonotonicClock.nanoseconds() < deadline else { return fail() }
        while true {
            let count = Glibc.read(fd, buffer.baseAddress! + end, buffer.count - end)
            if count > 0 {
                end += count
                return true
            }
            if count < 0 && errno == EINTR { continue }
            return fail()
        }
    }

    /// The next record of the request's `stream`, its content still unread. On the way, management
    /// records are answered, a second FCGI_BEGIN_REQUEST is refused and records of other requests
    /// are passed over. Before a request has begun (`requestID` 0) `stream` is .beginRequest, and
    /// a valid one is returned with its body buffered. nil when the connection ended or broke the
    /// protocol (a record of another type for this request).
    private func nextRecord(of stream: FastCGIRecord.Kind) -> FastCGIRecord.Header? {
        while true {
            guard let header = readHeader() else { return nil }
            if header.type == FastCGIRecord.Kind.beginRequest.rawValue {
                guard header.requestID != 0, header.contentLength == 8, have(8) else { _ = fail(); return nil }
                if stream == .beginRequest { return header }
                guard refuseSecondRequest(header) else { return nil }
            } else if header.requestID == 0 {
                guard answerManagement(header) else { return nil }
            } else if header.requestID != requestID {
                guard skip(header.contentLength + header.paddingLength) else { return nil }
            } else if header.type == stream.rawValue {
                return header
            } else {
                _ = fail()
                return nil
            }
        }
    }

    private func readHeader() -> FastCGIRecord.Header? {
        guard have(FastCGIRecord.headerLength) else { return nil }
        guard let header = FastCGIRecord.Header(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + FastCGIRecord.headerLength)]))
        else {
            _ = fail()
            return nil
        }
        start += FastCGIRecord.headerLength
        return header
    }

    private func skip(_ count: Int) -> Bool {
        var left = count
        while left > 0 {
            if start == end { guard fill() else { return false } }
            let passed = min(left, end - start)
            start += passed
            left -= passed
        }
        return true
    }

    private func take(_ count: Int, into out: inout [UInt8]) -> Bool {
        var left = count
        while left > 0 {
            if start == end { guard fill() else { return false } }
            let taken = min(left, end - start)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<(start + taken)]))
            start += taken
            left -= taken
        }
        return true
    }

    /// A management record (request id 0): FCGI_GET_VALUES is answered, any other type with
    /// FCGI_UNKNOWN_TYPE (§4.2).
    private func answerManagement(_ header: FastCGIRecord.Header) -> Bool {
        var content: [UInt8] = []
        guard take(header.contentLength, into: &content), skip(header.paddingLength) else { return false }
        var reply: [UInt8] = []
        if header.type == FastCGIRecord.Kind.getValues.rawValue {
            let answered = content.withUnsafeBytes { FastCGIRecord.appendValues(answering: $0, to: &reply) }
            guard answered else { return fail() }
        } else {
            FastCGIRecord.appendUnknownType(header.type, to: &reply)
        }
        return write(reply) || fail()
    }

    /// FCGI_BEGIN_REQUEST while a request is open: FCGI_END_REQUEST with FCGI_CANT_MPX_CONN for it.
    private func refuseSecondRequest(_ header: FastCGIRecord.Header) -> Bool {
        guard skip(header.contentLength + header.paddingLength) else { return false }
        var reply: [UInt8] = []
        FastCGIRecord.appendEndRequest(id: header.requestID, status: .cantMultiplex, to: &reply)
        return write(reply) || fail()
    }

    /// The whole of `bytes`, however many writes it takes; false when one fails (or times out).
    private func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { all in
            var at = 0
            while at < all.count {
                let count = Glibc.write(fd, all.baseAddress! + at, all.count - at)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                at += count
            }
            return true
        }
    }
}
