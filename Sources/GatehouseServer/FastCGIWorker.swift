import Foundation
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
/// the losers get EAGAIN from `FCGX_Accept_r` and go back to waiting, where they can
/// still hear SIGTERM.
public enum FastCGIWorker {
    /// How much of an unread (too large) body is read and thrown away so that the web
    /// server gets our answer instead of a broken pipe; beyond that the connection is closed.
    static let maxDiscard = 64 << 20
    /// An authorizer's rule when the request names none: the process environment's.
    static let defaultRule = ProcessInfo.processInfo.environment[Authorizer.ruleVariable] ?? ""

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
        FCGX_InitRequest(&request, listenFD, 0)
        defer { FCGX_Free(&request, 1) }

        var fds = [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0), pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            // The timeout only serves to notice a master that died without telling us.
            let ready = poll(&fds, 2, 1000)
            if ready < 0 && errno != EINTR {
                logger.critical("poll failed: \(String(cString: strerror(errno)))")
                return 1
            }
            if fds[1].revents != 0 { return 0 }
            if let masterPID, getppid() != masterPID {
                logger.warning("master \(masterPID) is gone; worker exits")
                return 0
            }
            guard fds[0].revents != 0 else { continue }

            let accepted = FCGX_Accept_r(&request)
            if accepted < 0 {
                let error = -accepted
                if error == EAGAIN || error == EWOULDBLOCK || error == EINTR { continue }
                logger.error("FCGX_Accept_r failed: \(error > 0 && error < 4096 ? String(cString: strerror(error)) : "code \(accepted)")")
                usleep(100_000)  // a broken listening socket must not become a busy loop
                continue
            }
            serve(&request, app: app)
            // Sends END_REQUEST and closes now, not at the next accept.
            FCGX_Finish_r(&request)
        }
    }

    static func serve(_ request: inout FCGX_Request, app: App) {
        let builder = RequestBuilder(environment: request.envp, maxBodySize: app.config.maxBodySize)
        let input = request.in
        let output = request.role == Authorizer.role
            ? Authorizer.respond(builder, app: app, defaultRule: defaultRule)
            : builder.respond(with: app) { buffer in
                Int(FCGX_GetStr(buffer.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(buffer.count), input))
            }
        discardInput(input)
        output.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                _ = FCGX_PutStr(chars.baseAddress, Int32(chars.count), request.out)
            }
        }
    }

    /// Reads what is left of FCGI_STDIN (a body that was too large, or one the app did
    /// not announce), through a fixed buffer, so nothing of it is kept.
    static func discardInput(_ input: UnsafeMutablePointer<FCGX_Stream>?) {
        // Nearly always the body was read whole: one cheap check, no buffer.
        if FCGX_GetChar(input) == -1 { return }
        var scratch = [CChar](repeating: 0, count: 64 << 10)
        var discarded = 1
        while discarded < maxDiscard {
            let n = scratch.withUnsafeMutableBufferPointer { FCGX_GetStr($0.baseAddress, Int32($0.count), input) }
            if n <= 0 { return }
            discarded += Int(n)
        }
    }
}
