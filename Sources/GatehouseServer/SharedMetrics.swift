import Gatehouse
import Glibc
import Synchronization

/// The metrics of every worker of one master: a header the master writes (worker restarts,
/// how many blocks were ever handed out) and one block of counters per worker slot, in memory
/// the master maps before it forks. A worker writes only its own block, with plain stores and
/// no lock; `/metrics`, in whichever worker answers it, sums the blocks. A worker that dies
/// leaves its counts behind for the next worker in its slot, so counters never go back.
///
/// The mapping is never initialised by hand: anonymous memory starts zeroed, and only the
/// pages of blocks in use are ever touched.
public final class SharedMetrics: Sendable {
    /// The mapping's address: a number, so the type is Sendable; the memory outlives every worker.
    private let address: Int
    public let slots: Int
    static let headerWords = 512
    static let slotsUsed = 0
    static let restarts = 1  // one word per pool from here
    static let maxPools = 8

    public init(slots: Int) throws(ServerError) {
        let bytes = (SharedMetrics.headerWords + slots * MetricsLayout.words) * MemoryLayout<UInt64>.stride
        guard let memory = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
              memory != MAP_FAILED else { throw .system("mmap") }
        address = Int(bitPattern: memory)
        self.slots = slots
    }

    var words: UnsafeMutablePointer<UInt64> {
        UnsafeMutablePointer<UInt64>(bitPattern: address).unsafelyUnwrapped
    }

    func block(_ slot: Int) -> MetricsBlock {
        MetricsBlock(base: words + SharedMetrics.headerWords + slot * MetricsLayout.words)
    }

    /// Master: `slot` now belongs to a new worker of `pool`.
    func assign(_ slot: Int, pool: Int) {
        let base = block(slot).base
        base[MetricsLayout.pool] = UInt64(pool)
        base[MetricsLayout.alive] = 1
        words[SharedMetrics.slotsUsed] = max(words[SharedMetrics.slotsUsed], UInt64(slot + 1))
        atomicMemoryFence(ordering: .releasing)
    }

    /// Master: the slot's worker is gone (its counts stay; it was not answering anything any more).
    func release(_ slot: Int) {
        let base = block(slot).base
        base[MetricsLayout.alive] = 0
        base[MetricsLayout.inFlight] = 0
        atomicMemoryFence(ordering: .releasing)
    }

    func countRestart(pool: Int) {
        guard pool < SharedMetrics.maxPools else { return }
        words[SharedMetrics.restarts + pool] &+= 1
    }

    /// Every block in use, summed, with the master's counts.
    func read(labels: [String], pools: [String], commit: String, hashSlots: SharedHashSlots?) -> MetricsReading {
        atomicMemoryFence(ordering: .acquiring)
        var reading = MetricsReading(routes: labels)
        reading.poolNames = pools
        reading.commit = commit
        for slot in 0..<min(slots, Int(words[SharedMetrics.slotsUsed])) { block(slot).add(to: &reading) }
        for pool in pools.indices where pool < SharedMetrics.maxPools {
            reading.restarts[pool] = words[SharedMetrics.restarts + pool]
        }
        if let hashSlots { reading.mainPoolHashes = (hashSlots.busy, hashSlots.limit) }
        return reading
    }

    /// The sink of the worker in `slot`, with the route labels the master registered before forking it.
    func sink(slot: Int, labels: [String], pools: [String], commit: String, hashSlots: SharedHashSlots?) -> any MetricsSink {
        WorkerMetrics(shared: self, block: block(slot), labels: labels, pools: pools, commit: commit, hashSlots: hashSlots)
    }

    final class WorkerMetrics: MetricsSink {
        let shared: SharedMetrics
        let block: MetricsBlock
        let labels: [String]
        let indices: [String: Int]
        let pools: [String]
        let commit: String
        let hashSlots: SharedHashSlots?

        init(shared: SharedMetrics, block: MetricsBlock, labels: [String], pools: [String], commit: String,
             hashSlots: SharedHashSlots?) {
            self.shared = shared
            self.block = block
            self.labels = labels
            indices = Dictionary(labels.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            self.pools = pools
            self.commit = commit
            self.hashSlots = hashSlots
        }

        func routeIndex(_ label: String) -> Int { indices[label] ?? MetricsLayout.unmatchedRoute }
        func requestBegan() { block.began() }
        func requestEnded(route: Int, status: Int, nanoseconds: UInt64) {
            block.ended(route: route, status: status, nanoseconds: nanoseconds)
        }
        func count(_ event: MetricEvent) { block.count(event) }
        func read() -> MetricsReading { shared.read(labels: labels, pools: pools, commit: commit, hashSlots: hashSlots) }
    }
}

/// The route labels of a master, in the order they were first seen: append-only, so a label's
/// index means the same in every worker, old or new, across reloads.
struct MetricsLabels {
    private(set) var labels = [MetricsLayout.unmatchedLabel]

    mutating func register(_ more: [String]) {
        for label in more where !labels.contains(label) && labels.count < MetricsLayout.maxRoutes { labels.append(label) }
    }
}
