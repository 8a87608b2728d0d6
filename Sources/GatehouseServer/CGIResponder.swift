import Gatehouse
import Glibc

/// CGI (RFC 3875): the request is this process's environment plus stdin, the answer goes
/// to stdout, one request per process. libfcgi does not fall back to this by itself.
public enum CGIResponder {
    /// Answers the request in the environment and returns the exit status.
    public static func respond(app: App) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        let builder = RequestBuilder(environment: environ, maxBodySize: app.config.maxBodySize)
        let output = builder.respond(with: app) { buffer in readRetrying(0, buffer) }
        return writeAll(1, output) ? 0 : 1
    }

    static func readRetrying(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }

    /// Writes every byte (retrying short writes and EINTR); false when the reader is gone.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            written += n
        }
        return true
    }
}
