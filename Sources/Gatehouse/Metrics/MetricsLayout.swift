/// The counters of one worker, as 64-bit words: the same layout in a worker's block of the
/// master's shared mapping and in `LocalMetrics`'s own memory. Buckets are stored one per
/// bound (not cumulative), so a request is three increments; the reading accumulates them.
public enum MetricsLayout {
    /// Route labels a master can tell apart (index 0 is every request no route matched);
    /// routes beyond are counted as unmatched.
    public static let maxRoutes = 64
    public static let unmatchedRoute = 0
    public static let unmatchedLabel = "unmatched"
    /// The statuses counted by name; any other is counted as "other".
    public static let statuses: [Int] = [
        200, 201, 204, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 429, 500, 502, 503, 504,
    ]
    public static let statusSlots = 25
    /// Upper bounds of the latency histogram, in seconds (+Inf is the last bucket).
    public static let bounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
    public static let bucketSlots = 14

    // Word offsets in a block.
    public static let inFlight = 0
    /// Written by the master before it forks the block's worker: its pool, and whether it runs.
    public static let pool = 1
    public static let alive = 2
    static let events = 3
    static let requests = events + 8
    static let buckets = requests + maxRoutes * statusSlots
    static let sums = buckets + maxRoutes * bucketSlots
    /// A block's size in words, rounded up to whole 4 KiB pages so blocks never share one.
    public static let words = (sums + maxRoutes + 511) / 512 * 512

    /// Status → its slot, for every status 0...599.
    static let statusIndex: [UInt8] = (0..<600).map { status in
        UInt8(statuses.firstIndex(of: status) ?? statuses.count)
    }

    static let boundNanoseconds: [UInt64] = bounds.map { UInt64($0 * 1e9) }
}

/// One worker's counters at `base` (`MetricsLayout.words` words).
public struct MetricsBlock: @unchecked Sendable {
    public let base: UnsafeMutablePointer<UInt64>
    private let statusIndex = MetricsLayout.statusIndex
    private let boundNanoseconds = MetricsLayout.boundNanoseconds

    public init(base: UnsafeMutablePointer<UInt64>) { self.base = base }

    public func began() { base[MetricsLayout.inFlight] = 1 }

    public func ended(route: Int, status: Int, nanoseconds: UInt64) {
        base[MetricsLayout.inFlight] = 0
        let route = route < MetricsLayout.maxRoutes ? route : MetricsLayout.unmatchedRoute
        let statusSlot = status >= 0 && status < 600 ? Int(statusIndex[status]) : MetricsLayout.statusSlots - 1
        base[MetricsLayout.requests + route * MetricsLayout.statusSlots + statusSlot] &+= 1
        var bucket = 0
        while bucket < boundNanoseconds.count && nanoseconds > boundNanoseconds[bucket] { bucket += 1 }
        base[MetricsLayout.buckets + route * MetricsLayout.bucketSlots + bucket] &+= 1
        base[MetricsLayout.sums + route] &+= nanoseconds
    }

    public func count(_ event: MetricEvent) { base[MetricsLayout.events + event.rawValue] &+= 1 }

    /// Adds this block's counts to `reading`.
    public func add(to reading: inout MetricsReading) {
        let pool = Int(base[MetricsLayout.pool])
        if base[MetricsLayout.alive] != 0 {
            reading.workers[pool, default: 0] += 1
            reading.busy[pool, default: 0] += base[MetricsLayout.inFlight]
        }
        for event in MetricEvent.allCases { reading.events[event.rawValue] &+= base[MetricsLayout.events + event.rawValue] }
        for route in 0..<MetricsLayout.maxRoutes {
            for status in 0..<MetricsLayout.statusSlots {
                reading.requests[route][status] &+= base[MetricsLayout.requests + route * MetricsLayout.statusSlots + status]
            }
            for bucket in 0..<MetricsLayout.bucketSlots {
                reading.buckets[route][bucket] &+= base[MetricsLayout.buckets + route * MetricsLayout.bucketSlots + bucket]
            }
            reading.sums[route] &+= base[MetricsLayout.sums + route]
        }
    }
}

/// What `/metrics` renders: the workers' counts summed, the route labels, and what only the master knows.
public struct MetricsReading: Sendable {
    /// `METHOD /path` by route index; index 0 is `unmatched`.
    public var routes: [String]
    public var requests = [[UInt64]](repeating: [UInt64](repeating: 0, count: MetricsLayout.statusSlots),
                                     count: MetricsLayout.maxRoutes)
    /// Per route, one count per bound (not cumulative) and +Inf.
    public var buckets = [[UInt64]](repeating: [UInt64](repeating: 0, count: MetricsLayout.bucketSlots),
                                    count: MetricsLayout.maxRoutes)
    public var sums = [UInt64](repeating: 0, count: MetricsLayout.maxRoutes)
    public var events = [UInt64](repeating: 0, count: MetricEvent.allCases.count)
    /// By pool index: workers running, and those answering a request right now.
    public var workers: [Int: UInt64] = [:]
    public var busy: [Int: UInt64] = [:]
    /// Worker restarts by pool index (the master counts them).
    public var restarts: [Int: UInt64] = [:]
    /// Pool names by index.
    public var poolNames: [String] = ["main", "login"]
    /// Password hashes running on the main pool now, and its limit (nil outside `serve`).
    public var mainPoolHashes: (running: Int, limit: Int)?
    public var commit = "unknown"

    public init(routes: [String]) { self.routes = routes }
}
