import FoundationEssentials
import CFastCGI
import Gatehouse
import Glibc
import Logging

/// One prefork worker: a single-threaded libfcgi accept loop over a shared listening
/// socket, in the spirit of Go's net/http/fcgi child.
///
/// Stopping without ever cutting a request short: SIGTERM stays blocked for the whole
/// life of the worker and arrives through a signalfd that is only looked at between
/// requests. So no read or write of a request is interrupted (libfcgi treats EINTR as
/// a broken stream), and a worker told to stop finishes what it is doing first.
/// The listening socket is non-blocking: when several workers wake for one connection,
/// the losers get EAGAIN from accept(2) and go back to waiting, where they can
/// still hear SIGTERM.
public enum FastCGIWorker {
    /// How much of an unread (too large) body is read and thrown away so that the web
    /// server gets our answer instead of a broken pipe; beyond that the connection is closed.
    static let maxDiscard = 64 << 20
    /// How long a busy worker may go without looking for SIGTERM and its master.
    static let lookInterval: UInt64 = 100_000_000
    /// An authorizer's rule when the request names none: the process environment's.
    static let defaultRule = Environment.value(Authorizer.ruleVariable) ?? ""

    /// Serves until SIGTERM, or until the master process is gone. Returns the exit status.
    public static func run(listenFD: Int32, app: App, logger: Logger, masterPID: pid_t?) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        var stopMask = sigset_t()
        sigemptyset(&stopMask)
        sigaddset(&stopMask, SIGTERM)
        sigprocmask(SIG_BLOCK, &stopMask, nil)
        let stopFD = signalfd(-1, &stopMask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        guard stopFD >= 0 else {
            logger.critical("signalfd failed: \(String(cString: strerror(errno)))")
            return 1
        }
        defer { close(stopFD) }

        guard FCGX_Init() == 0 else {
            logger.critical("FCGX_Init failed")
            return 1
        }
        var request = FCGX_Request()
        // No listening socket for libfcgi: every connection is accepted below, with timeouts.
        FCGX_InitRequest(&request, -1, 0)
        defer { FCGX_Free(&request, 1) }

        guard let arrivals = ConnectionWait(listenFD: listenFD, stopFD: stopFD) else {
            logger.critical("epoll failed: \(String(cString: strerror(errno)))")
            return 1
        }
        defer { arrivals.close() }
        var builder = RequestBuilder(maxBodySize: app.config.maxBodySize)
        var output: [UInt8] = []
        var nextLook: UInt64 = 0
        while true {
            // Between requests only: the signal stays pending (blocked) until then. While
            // connections keep coming that is every `lookInterval`, not two syscalls a request;
            // a worker that waits looks at once.
            let now = MonotonicClock.nanoseconds()
            if now >= nextLook {
                if stopRequested() { return 0 }
                if let masterPID, getppid() != masterPID {
                    logger.warning("master \(masterPID) is gone; worker exits")
                    return 0
                }
                nextLook = now + lookInterval
            }
            if request.ipcFd >= 0 {
                // A connection the web server asked to keep (FCGI_KEEP_CONN) brings its next
                // request on the same socket: wait for that instead of a new connection.
                guard let readable = wait(for: request.ipcFd, orStop: stopFD, logger: logger) else { return 1 }
                nextLook = 0
                if !readable { continue }
            } else {
                // The connection is accepted here, not by libfcgi, to give it a read and write
                // timeout: a peer that connects and says nothing (or stops midway) costs this
                // worker `socket_timeout_seconds`, not forever. Under load one is nearly always
                // waiting, so accept comes first and the wait only when there was none.
                let connection = accept4(listenFD, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
                if connection < 0 {
                    switch errno {
                    case EAGAIN, EWOULDBLOCK:
                        guard arrivals.wait() else {
                            logger.critical("epoll_wait failed: \(String(cString: strerror(errno)))")
                            return 1
                        }
                        nextLook = 0
                    case EINTR, ECONNABORTED:
                        break
                    default:
                        logger.error("accept failed: \(String(cString: strerror(errno)))")
                        usleep(100_000)  // a broken listening socket must not become a busy loop
                    }
                    continue
                }
                setTimeouts(connection, seconds: app.config.socketTimeoutSeconds)
                // FCGX_Accept_r reads from an ipcFd that is already set instead of accepting;
                // keepConnection keeps its opening FCGX_Finish_r from closing it (the BEGIN
                // record sets it anew).
                request.ipcFd = connection
            }
            request.keepConnection = 1
            // Fails when the peer sent no valid BEGIN_REQUEST and PARAMS before the timeout
            // or hung up; libfcgi then closed it (and found no listening socket to accept on).
            if FCGX_Accept_r(&request) < 0 {
                logger.debug("dropped a connection that sent no complete request")
                continue
            }
            let inputEnded = serve(&request, app: app, builder: &builder, output: &output)
            // libfcgi's close half-closes, then waits for the web server to close its end and
            // reads until then, so that data still arriving cannot turn into a reset that
            // destroys the answer. When the input reached its end nothing more is coming:
            // a plain close is as safe and spares the worker that wait (a sleep and a wake-up
            // per request) before its next accept.
            if inputEnded { FCGX_Detach(&request) } else { FCGX_Attach(&request) }
            // Sends END_REQUEST and closes now, not at the next accept (unless the connection is kept).
            FCGX_Finish_r(&request)
        }
    }

    /// Whether SIGTERM is waiting (it is blocked, and read through the signalfd only when polled).
    static func stopRequested() -> Bool {
        var pending = sigset_t()
        sigpending(&pending)
        return sigismember(&pending, SIGTERM) == 1
    }

    /// Sleeps until `fd` is readable, SIGTERM arrives or a second passes (the master is looked
    /// at every second): whether `fd` is readable, nil when poll itself failed.
    static func wait(for fd: Int32, orStop stopFD: Int32, logger: Logger) -> Bool? {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&fds, 2, 1000)
        if ready < 0 && errno != EINTR {
            logger.critical("poll failed: \(String(cString: strerror(errno)))")
            return nil
        }
        return ready > 0 && fds[0].revents != 0
    }

    static func setTimeouts(_ fd: Int32, seconds: Int) {
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        let size = socklen_t(MemoryLayout<timeval>.size)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, size)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, size)
    }

    /// One request: `builder` and `output` are the worker's own, reused so that their
    /// buffers are allocated once, not per request. Returns whether FCGI_STDIN was read to its end.
    static func serve(_ request: inout FCGX_Request, app: App, builder: inout RequestBuilder, output: inout [UInt8]) -> Bool {
        builder.load(environment: request.envp)
        output.removeAll(keepingCapacity: true)
        let input = request.in
        // The whole body must arrive within socket_timeout_seconds: the per-read timeout
        // alone would let a client trickling one byte at a time keep this worker forever.
        let deadline = MonotonicClock.seconds() + Double(app.config.socketTimeoutSeconds)
        if request.role == Authorizer.role {
            output = Authorizer.respond(builder, app: app, defaultRule: defaultRule)
        } else {
            builder.respond(with: app, reading: { buffer in readBuffered(into: buffer, from: input, deadline: deadline) },
                            into: &output)
        }
        let inputEnded = discardInput(input, deadline: deadline)
        output.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                _ = FCGX_PutStr(chars.baseAddress, Int32(chars.count), request.out)
            }
        }
        return inputEnded
    }

    /// What libfcgi holds already, or else one byte, which waits for one record (at most one
    /// read timeout): FCGX_GetStr fills the whole buffer otherwise, one record at a time. 0 after `deadline`.
    static func readBuffered(into buffer: UnsafeMutableRawBufferPointer, from input: UnsafeMutablePointer<FCGX_Stream>?,
                             deadline: Double) -> Int {
        guard let input, let base = buffer.baseAddress, !buffer.isEmpty, MonotonicClock.seconds() < deadline else { return 0 }
        var held = 0
        if let next = input.pointee.rdNext, let stop = input.pointee.stop { held = stop - next }
        let wanted = held > 0 ? min(held, buffer.count) : 1
        return Int(FCGX_GetStr(base.assumingMemoryBound(to: CChar.self), Int32(wanted), input))
    }

    /// Reads what is left of FCGI_STDIN (a body that was too large, or one the app did
    /// not announce), through a fixed buffer, so nothing of it is kept. Returns whether the
    /// stream reached its end without an error.
    static func discardInput(_ input: UnsafeMutablePointer<FCGX_Stream>?, deadline: Double) -> Bool {
        func ended() -> Bool { FCGX_HasSeenEOF(input) == EOF && FCGX_GetError(input) == 0 }
        // Nearly always the body was read whole: one cheap check, no buffer.
        if FCGX_GetChar(input) == -1 { return ended() }
        var scratch = [UInt8](repeating: 0, count: 64 << 10)
        var discarded = 1
        while discarded < maxDiscard {
            let n = scratch.withUnsafeMutableBytes { readBuffered(into: $0, from: input, deadline: deadline) }
            if n <= 0 { return ended() }
            discarded += n
        }
        return false
    }
}

/// Sleeping until a connection arrives on the listening socket that every worker shares, or
/// SIGTERM: epoll with EPOLLEXCLUSIVE wakes one sleeping worker per connection, where poll(2)
/// would wake them all to race for one accept.
struct ConnectionWait {
    let epoll: Int32

    init?(listenFD: Int32, stopFD: Int32) {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { return nil }
        var arrival = epoll_event(events: EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue, data: epoll_data_t(fd: listenFD))
        var stop = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: stopFD))
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, listenFD, &arrival) == 0, epoll_ctl(epoll, EPOLL_CTL_ADD, stopFD, &stop) == 0 else {
            Glibc.close(epoll)
            return nil
        }
    }

    /// Returns when a connection or SIGTERM may be waiting, or after a second (the master is
    /// looked at every second); false when epoll itself failed.
    func wait() -> Bool {
        var events = (epoll_event(), epoll_event())
        let ready = withUnsafeMutableBytes(of: &events) {
            epoll_wait(epoll, $0.baseAddress!.assumingMemoryBound(to: epoll_event.self), 2, 1000)
        }
        return ready >= 0 || errno == EINTR
    }

    func close() { Glibc.close(epoll) }
}
