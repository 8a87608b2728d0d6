import Glibc

/// Runs a program to its end with posix_spawn: standard input fed from `input`, standard
/// output and error collected (or output discarded), all three served by one poll loop so a
/// chatty child can never block on a full pipe while we write to it.
public enum Subprocess {
    public struct Result {
        /// The exit status, or 128 + the signal that ended it.
        public var status: Int32
        public var output: [UInt8]
        public var errors: [UInt8]
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func run(_ path: String, _ arguments: [String], input: [UInt8] = [], keepOutput: Bool = true)
        throws(Failure) -> Result
    {
        var stdin: [Int32] = [-1, -1], stdout: [Int32] = [-1, -1], stderr: [Int32] = [-1, -1]
        func cloexecPipe(_ fds: inout [Int32]) -> Bool {
            guard pipe(&fds) == 0 else { return false }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return true
        }
        guard cloexecPipe(&stdin), cloexecPipe(&stdout), cloexecPipe(&stderr) else {
            for fd in stdin + stdout + stderr where fd >= 0 { close(fd) }
            throw Failure(description: "\(path): cannot make pipes: \(errorText())")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin[0], 0)
        if keepOutput {
            posix_spawn_file_actions_adddup2(&actions, stdout[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stderr[1], 2)

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        for fd in [stdin[0], stdout[1], stderr[1]] { close(fd) }
        guard spawned == 0 else {
            for fd in [stdin[1], stdout[0], stderr[0]] { close(fd) }
            throw Failure(description: "\(path): cannot be started: \(errorText(spawned))")
        }

        // A child that exits before reading all of its input must not kill us with SIGPIPE:
        // blocked here, and taken back off the pending set if our writes raised it.
        var pipeSignal = sigset_t(), previousMask = sigset_t(), pending = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        sigpending(&pending)
        let wasPending = sigismember(&pending, SIGPIPE) == 1
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previousMask)
        defer {
            sigpending(&pending)
            if !wasPending, sigismember(&pending, SIGPIPE) == 1 {
                var zero = timespec()
                _ = sigtimedwait(&pipeSignal, nil, &zero)
            }
            pthread_sigmask(SIG_SETMASK, &previousMask, nil)
        }

        var result = Result(status: 0, output: [], errors: [])
        var written = 0
        var writer: Int32 = stdin[1]
        // Non-blocking: a blocking write bigger than the pipe would wait for a child that is
        // itself waiting for us to read its output.
        _ = fcntl(writer, F_SETFL, O_NONBLOCK)
        if input.isEmpty { close(writer); writer = -1 }
        var readers = [stdout[0], stderr[0]]
        var chunk = [UInt8](repeating: 0, count: 16384)
        while writer >= 0 || readers.contains(where: { $0 >= 0 }) {
            var fds = [pollfd(fd: writer, events: Int16(POLLOUT), revents: 0),
                       pollfd(fd: readers[0], events: Int16(POLLIN), revents: 0),
                       pollfd(fd: readers[1], events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 3, -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            if writer >= 0, fds[0].revents != 0 {
                let n = input.withUnsafeBytes { write(writer, $0.baseAddress! + written, $0.count - written) }
                if n > 0 { written += n }
                if n < 0 && errno != EINTR && errno != EAGAIN || written == input.count {
                    close(writer)
                    writer = -1
                }
            }
            for i in 0..<2 where readers[i] >= 0 && fds[i + 1].revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(readers[i], $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    close(readers[i])
                    readers[i] = -1
                } else if i == 0 {
                    result.output += chunk[..<n]
                } else {
                    result.errors += chunk[..<n]
                }
            }
        }
        for fd in [writer] + readers where fd >= 0 { close(fd) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
        result.status = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return result
    }
}
