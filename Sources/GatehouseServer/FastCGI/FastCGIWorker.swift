import FoundationEssentials
import CSystem
import Gatehouse
import Glibc
import Logging

/// One prefork worker: a single-threaded accept loop over a shared listening socket, in the
/// spirit of Go's net/http/fcgi child, speaking FastCGI itself (FastCGIConnection).
///
/// Stopping without ever cutting a request short: SIGTERM stays blocked for the whole
/// life of the worker and arrives through a signalfd that is only looked at between
/// requests. So no read or write of a request is interrupted, and a worker told to stop
/// finishes what it is doing first. The listening socket is non-blocking: when several
/// workers wake for one connection, the losers get EAGAIN from accept(2) and go back to
/// waiting, where they can still hear SIGTERM.
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

        guard let arrivals = ConnectionWait(listenFD: listenFD, stopFD: stopFD) else {
            logger.critical("epoll failed: \(String(cString: strerror(errno)))")
            return 1
        }
        defer { arrivals.close() }
        let connection = FastCGIConnection()
        defer { connection.close() }
        let timeout = UInt64(app.config.socketTimeoutSeconds) * 1_000_000_000
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
            if connection.isOpen {
                // A connection the web server asked to keep (FCGI_KEEP_CONN) brings its next
                // request on the same socket: wait for that instead of a new connection.
                if !connection.hasBufferedInput {
                    guard let readable = wait(for: connection.fd, orStop: stopFD, logger: logger) else { return 1 }
                    nextLook = 0
                    if !readable { continue }
                }
            } else {
                // Each connection gets a read and write timeout: a peer that connects and says
                // nothing (or stops midway) costs this worker `socket_timeout_seconds`, not
                // forever. Under load one is nearly always waiting, so accept comes first and the
                // wait only when there was none.
                let accepted = accept4(listenFD, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
                if accepted < 0 {
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
                setTimeouts(accepted, seconds: app.config.socketTimeoutSeconds)
                connection.open(accepted)
            }
            // Fails when the peer sent no valid BEGIN_REQUEST and PARAMS within the timeout, or
            // hung up (as nginx does with a kept connection it no longer needs).
            connection.deadline = MonotonicClock.nanoseconds() + timeout
            guard connection.readRequest(), connection.params.withUnsafeBytes({ builder.load(fastCGIParams: $0) }) else {
                logger.debug("dropped a connection that sent no complete request")
                connection.close()
                continue
            }
            // And the whole body within the timeout too: the per-read timeout alone would let a
            // client trickling one byte at a time keep this worker forever.
            connection.deadline = MonotonicClock.nanoseconds() + timeout
            serve(connection, app: app, builder: &builder, output: &output)
            // Closed now unless the web server keeps it; closed outright when the request's input
            // was read to its end (nothing more is coming), else carefully (FastCGIConnection.close).
            if !connection.canKeep { connection.close() }
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
        var fds = (pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0))
        let ready = withUnsafeMutableBytes(of: &fds) { poll($0.baseAddress!.assumingMemoryBound(to: pollfd.self), 2, 1000) }
        if ready < 0 && errno != EINTR {
            logger.critical("poll failed: \(String(cString: strerror(errno)))")
            return nil
        }
        return ready > 0 && fds.0.revents != 0
    }

    static func setTimeouts(_ fd: Int32, seconds: Int) {
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        let size = socklen_t(MemoryLayout<timeval>.size)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, size)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, size)
    }

    /// One request whose parameters are in `builder`: `builder` and `output` are the worker's
    /// own, reused so that their buffers are allocated once, not per request.
    static func serve(_ connection: FastCGIConnection, app: App, builder: inout RequestBuilder, output: inout [UInt8]) {
        output.removeAll(keepingCapacity: true)
        if connection.role == FastCGIRecord.authorizer {
            output = Authorizer.respond(builder, app: app, defaultRule: defaultRule)
        } else {
            builder.respond(with: app, reading: { connection.readInput(into: $0) }, into: &output)
        }
        _ = connection.finishInput(limit: maxDiscard)
        connection.answer(output)
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
