import CSystem
import Gatehouse
import Glibc
import Logging

/// Builds a worker's App after fork, so that each worker owns its own resources
/// (its SQLite connection, caches) and nothing is shared across processes.
/// The main pool's workers get a hash limiter; every worker gets the master's failure ledger
/// and its own block of the master's metrics.
public typealias AppFactory = @Sendable (Config, (any HashLimiter)?, (any FailureLedger)?, (any MetricsSink)?) throws -> App

/// The prefork master: holds the listening sockets, keeps each pool's workers running,
/// restarts one that dies, replaces them all on SIGHUP (new ones first, then the old ones
/// drain), and on SIGTERM/SIGINT lets them finish and exits 0.
///
/// Signals are blocked and read from a signalfd in one poll loop: no handlers, no
/// threads, so fork(2) from Swift stays safe.
public final class Supervisor {
    struct Worker {
        var pool: Int  // index into pools
        var generation: Int
        var started: Double
        var stopping = false
        /// Its slot in `hashSlots` (main pool only).
        var hashSlot: Int?
        /// Its block in `metrics`.
        var metricsSlot: Int?
    }

    let pools: [WorkerPool]
    var config: Config
    let reload: () throws -> Config
    let factory: AppFactory
    var logger: Logger

    var workers: [pid_t: Worker] = [:]
    var generation = 0
    var restartsDue: [(pool: Int, at: Double)] = []
    var drainDeadline: Double? = nil
    var signalFD: Int32 = -1
    /// Bounds the main pool's concurrent hashes; old and new workers overlap on reload, and
    /// sizes may grow on reload, so there are slots to spare.
    var hashSlots: SharedHashSlots?
    /// Failed logins by address and username, for every pool.
    var failureTable: SharedFailureTable?
    /// Every worker's counters, for /metrics.
    var metrics: SharedMetrics?
    var metricsLabels = MetricsLabels()
    /// The route labels of the App a configuration builds (registered before each fork).
    let routeLabels: (Config) -> [String]
    /// The build's git commit, for gatehouse_build_info.
    let commit: String
    /// The monotonic time of the last audit pruning.
    var lastPrune: Double?
    /// The child delivering the outbox, while one runs, and when the last one started.
    var mailPID: pid_t?
    var lastMailRun: Double?

    /// How long in-flight requests get on SIGTERM before the workers are killed.
    public var drainTimeout = 30.0
    /// A worker that dies sooner than this after its start is restarted after `restartDelay`, not at once.
    static let crashWindow = 1.0
    static let restartDelay = 0.5

    /// `reload` re-reads the configuration on SIGHUP (a failure keeps the running workers).
    public init(pools: [WorkerPool], config: Config, reload: @escaping () throws -> Config, factory: @escaping AppFactory,
                logger: Logger, routeLabels: @escaping (Config) -> [String] = { App.routeLabels(config: $0) },
                commit: String = "unknown") {
        self.pools = pools
        self.routeLabels = routeLabels
        self.commit = commit
        self.config = config
        self.reload = reload
        self.factory = factory
        self.logger = logger
    }

    /// One pool of `workers` workers on `listener`.
    public convenience init(listener: Listener, config: Config, reload: @escaping () throws -> Config, factory: @escaping AppFactory,
                            logger: Logger, routeLabels: @escaping (Config) -> [String] = { App.routeLabels(config: $0) },
                            commit: String = "unknown") {
        self.init(pools: [.main(listener)], config: config, reload: reload, factory: factory, logger: logger,
                  routeLabels: routeLabels, commit: commit)
    }

    /// Runs until SIGTERM/SIGINT and all workers have exited; returns the exit status.
    public func run() -> Int32 {
        var mask = sigset_t()
        sigemptyset(&mask)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&mask, s) }
        sigprocmask(SIG_BLOCK, &mask, nil)
        signalFD = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        guard signalFD >= 0 else {
            logger.critical("signalfd failed: \(String(cString: strerror(errno)))")
            return 1
        }
        defer {
            close(signalFD)
            for pool in pools { pool.listener.close() }
        }
        do {
            hashSlots = try SharedHashSlots(count: 1024, limit: config.maxConcurrentHashes)
            failureTable = try SharedFailureTable()
            metrics = try SharedMetrics(slots: 1024)
        } catch {
            logger.critical("\(error)")
            return 1
        }
        metricsLabels.register(routeLabels(config))
        for (index, pool) in pools.enumerated() {
            let size = pool.size(config)
            logger.info("listening on \(pool.listener.description) with \(size) \(pool.name) workers")
            for _ in 0..<size { spawn(pool: index) }
        }

        while true {
            var fds = [pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 1, 200)
            readSignals()
            reap()
            if let deadline = drainDeadline {
                if workers.isEmpty && mailPID == nil { break }
                if now() > deadline {
                    logger.warning("drain timeout: killing \(workers.count) workers")
                    killAll(SIGKILL)
                    drainDeadline = now() + 5
                }
                continue
            }
            let time = now()
            if lastPrune.map({ time - $0 >= Supervisor.pruneInterval }) ?? true {
                lastPrune = time
                pruneAudit()
            }
            if config.sendsMail, mailPID == nil, lastMailRun.map({ time - $0 >= Supervisor.mailInterval }) ?? true {
                lastMailRun = time
                startMailDelivery()
            }
            let due = restartsDue.filter { $0.at <= time }
            restartsDue.removeAll { $0.at <= time }
            for restart in due { spawn(pool: restart.pool) }
        }
        logger.info("stopped")
        return 0
    }

    func readSignals() {
        var info = signalfd_siginfo()
        while read(signalFD, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            switch Int32(info.ssi_signo) {
            case SIGTERM, SIGINT:
                if drainDeadline == nil {
                    logger.info("stopping: letting \(workers.count) workers finish their requests")
                    drainDeadline = now() + drainTimeout
                    restartsDue = []
                    killAll(SIGTERM)
                } else {
                    logger.warning("second stop signal: killing the workers")
                    killAll(SIGKILL)
                }
            case SIGHUP:
                if drainDeadline == nil { replaceWorkers() }
            default:
                break  // SIGCHLD: reap() runs after every wake-up
            }
        }
    }

    /// SIGHUP: a new configuration and new workers; the old ones finish and leave.
    func replaceWorkers() {
        let fresh: Config
        do {
            fresh = try reload()
        } catch {
            logger.error("reload failed, keeping the running configuration: \(error)")
            return
        }
        let restartOnly = Config.restartOnlyChanges(from: config, to: fresh)
        if !restartOnly.isEmpty {
            logger.warning("reload: \(restartOnly.joined(separator: ", ")) changed; they take effect on restart only")
        }
        config = fresh
        metricsLabels.register(routeLabels(fresh))
        logger.logLevel = fresh.logLevel
        generation += 1
        restartsDue = []
        let old = workers.filter { $0.value.generation < generation }.map(\.key)
        for (index, pool) in pools.enumerated() {
            for _ in 0..<pool.size(config) { spawn(pool: index) }
        }
        for pid in old {
            workers[pid]?.stopping = true
            kill(pid, SIGTERM)
        }
        let sizes = pools.map { "\($0.size(config)) \($0.name)" }.joined(separator: " and ")
        logger.info("reloaded: \(sizes) new workers, \(old.count) old ones finishing")
    }

    func spawn(pool: Int) {
        let masterPID = getpid()
        let metricsSlot = freeMetricsSlot()
        if let metricsSlot { metrics?.assign(metricsSlot, pool: pool) }
        let pid = fork()
        if pid < 0 {
            logger.error("fork failed: \(String(cString: strerror(errno)))")
            if let metricsSlot { metrics?.release(metricsSlot) }
            restartsDue.append((pool, now() + Supervisor.restartDelay))
            return
        }
        let slot = pool == 0 ? freeHashSlot() : nil
        if pid == 0 {
            _exit(workerMain(pool: pools[pool], masterPID: masterPID, hashSlot: slot, metricsSlot: metricsSlot))
        }
        workers[pid] = Worker(pool: pool, generation: generation, started: now(), hashSlot: slot, metricsSlot: metricsSlot)
    }

    func freeMetricsSlot() -> Int? {
        guard let metrics else { return nil }
        let taken = Set(workers.values.compactMap(\.metricsSlot))
        return (0..<metrics.slots).first { !taken.contains($0) }
    }

    /// In the child, right after fork: undo the master's signal setup, build the App, serve.
    func freeHashSlot() -> Int? {
        guard let hashSlots else { return nil }
        let taken = Set(workers.values.compactMap(\.hashSlot))
        return (0..<hashSlots.count).first { !taken.contains($0) }
    }

    func workerMain(pool: WorkerPool, masterPID: pid_t, hashSlot: Int?, metricsSlot: Int?) -> Int32 {
        close(signalFD)
        for other in pools where other.listener.fd != pool.listener.fd { close(other.listener.fd) }
        signal(SIGINT, SIG_IGN)  // Ctrl-C reaches the whole process group; the master decides
        signal(SIGHUP, SIG_IGN)
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for s in [SIGINT, SIGHUP, SIGCHLD] { sigaddset(&unblock, s) }
        sigprocmask(SIG_UNBLOCK, &unblock, nil)

        var workerLogger = logger
        workerLogger[metadataKey: "worker"] = "\(getpid())"
        if pools.count > 1 { workerLogger[metadataKey: "pool"] = "\(pool.name)" }
        if let problem = pool.applyToCurrentProcess(config) { workerLogger.warning("\(problem)") }
        let app: App
        do {
            let sink = metricsSlot.flatMap { slot in
                metrics?.sink(slot: slot, labels: metricsLabels.labels, pools: pools.map(\.name), commit: commit,
                              hashSlots: pools.first?.name == "main" ? hashSlots : nil)
            }
            app = try factory(config, hashSlot.flatMap { slot in hashSlots?.limiter(slot: slot) }, failureTable, sink)
        } catch {
            workerLogger.critical("worker cannot start: \(error)")
            return 78  // EX_CONFIG
        }
        return FastCGIWorker.run(listenFD: pool.listener.fd, app: app, logger: workerLogger, masterPID: masterPID)
    }

    func reap() {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return }
            if pid == mailPID {
                mailPID = nil
                if status != 0 { logger.error("mail: the delivery pass ended with status \(status)") }
                continue
            }
            guard let worker = workers.removeValue(forKey: pid) else { continue }
            if let slot = worker.hashSlot { hashSlots?.clear(slot) }
            if let slot = worker.metricsSlot { metrics?.release(slot) }
            let how = status & 0x7f == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(status & 0x7f)"
            if worker.stopping || drainDeadline != nil {
                logger.debug("worker \(pid) \(how)")
                continue
            }
            logger.warning("\(pools[worker.pool].name) worker \(pid) \(how); starting another")
            metrics?.countRestart(pool: worker.pool)
            let crashedEarly = now() - worker.started < Supervisor.crashWindow
            restartsDue.append((worker.pool, now() + (crashedEarly ? Supervisor.restartDelay : 0)))
        }
    }

    static let pruneInterval = 3600.0

    /// Removes audit rows, and sessions that ended or expired, older than audit_retention_days:
    /// here, off every request's path. Without it every login would grow the database for good.
    func pruneAudit() {
        guard config.auditRetentionDays > 0 else { return }
        do {
            let before = Store.now() - Int64(config.auditRetentionDays) * 86400
            let store = try Store.open(config: config)
            let removed = try store.pruneAudit(before: before)
            if removed > 0 { logger.info("audit: pruned \(removed) rows older than \(config.auditRetentionDays) days") }
            let sessions = try store.pruneSessions(before: before)
            if sessions > 0 { logger.info("sessions: pruned \(sessions) that ended over \(config.auditRetentionDays) days ago") }
        } catch {
            logger.error("audit: pruning failed: \(error)")
        }
    }

    func killAll(_ signal: Int32) {
        for pid in workers.keys { kill(pid, signal) }
        if let mailPID { kill(mailPID, signal) }
    }

    static let mailInterval = 2.0

    /// The outbox is delivered here, never in a request: a child of the master runs one
    /// pass (OutboxDelivery) and exits, so a slow mail server holds up nothing else.
    func startMailDelivery() {
        let pid = fork()
        if pid < 0 {
            logger.error("mail: fork failed: \(String(cString: strerror(errno)))")
            return
        }
        if pid == 0 {
            close(signalFD)
            for pool in pools { close(pool.listener.fd) }
            var unblock = sigset_t()
            sigemptyset(&unblock)
            for s in [SIGTERM, SIGCHLD] { sigaddset(&unblock, s) }
            sigprocmask(SIG_UNBLOCK, &unblock, nil)
            signal(SIGINT, SIG_IGN)
            signal(SIGHUP, SIG_IGN)
            do {
                try OutboxDelivery(config: config, logger: logger).run()
                _exit(0)
            } catch {
                logger.error("mail: delivery pass failed: \(error)")
                _exit(1)
            }
        }
        mailPID = pid
    }

    func now() -> Double { MonotonicClock.seconds() }
}
