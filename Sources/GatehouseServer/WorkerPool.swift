import Gatehouse
import Glibc

/// A group of identical workers accepting on one listening socket. `gatehouse serve` runs
/// two: the main pool, and the login pool that nginx sends `POST /token` to. Both serve
/// the whole App; what differs is the socket, the size and the CPU priority, so that a
/// worker busy hashing a password (~70 ms of CPU) never has a cheap request queued
/// behind it, and the kernel prefers the main workers whenever both want a core.
public struct WorkerPool: Sendable {
    /// In logs and in the workers' log metadata.
    public let name: String
    public let listener: Listener
    /// How many workers the configuration asks for (read again on SIGHUP).
    public let size: @Sendable (Config) -> Int
    /// Added to the master's niceness in each worker, right after fork (0: unchanged).
    public let niceness: @Sendable (Config) -> Int
    /// The worker's process name as ps and top show it (/proc/PID/comm, at most 15 bytes);
    /// nil keeps the binary's name.
    public let processName: String?

    public init(
        name: String, listener: Listener, size: @escaping @Sendable (Config) -> Int,
        niceness: @escaping @Sendable (Config) -> Int = { _ in 0 }, processName: String? = nil
    ) {
        self.name = name
        self.listener = listener
        self.size = size
        self.niceness = niceness
        self.processName = processName
    }

    /// `workers` workers at the master's priority.
    public static func main(_ listener: Listener) -> WorkerPool {
        WorkerPool(name: "main", listener: listener, size: { $0.workerCount })
    }

    /// `login_workers` workers, `login_nice` lower in priority, named gatehouse-login.
    public static func login(_ listener: Listener) -> WorkerPool {
        WorkerPool(
            name: "login", listener: listener, size: { $0.loginWorkerCount }, niceness: { $0.loginNice },
            processName: "gatehouse-login")
    }

    /// In the child, after fork: lower the priority and take the name. Returns an error message
    /// to log, if any; neither failure stops the worker.
    func applyToCurrentProcess(_ config: Config) -> String? {
        var problem: String? = nil
        let increment = Int32(niceness(config))
        if increment > 0 {
            let which = __priority_which_t(PRIO_PROCESS.rawValue)
            errno = 0
            let current = getpriority(which, 0)
            if errno == 0, setpriority(which, 0, min(19, current + increment)) != 0 {
                problem = "setpriority: \(String(cString: strerror(errno)))"
            }
        }
        if let processName {
            let fd = open("/proc/self/comm", O_WRONLY | O_CLOEXEC)
            if fd >= 0 {
                let bytes = Array(processName.utf8.prefix(15))
                _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
            }
        }
        return problem
    }
}
