import Synchronization

/// What the ledger knows about one key (an address or a username): recent failures and
/// any ban. Plain numbers, so that a copy in shared memory is always a valid value.
public struct FailureRecord: Sendable, Equatable {
    public var failures: Int32 = 0
    /// How many bans a username's back-off has handed out in a row (unused for addresses).
    public var strikes: Int32 = 0
    /// The address rule: the first failure of the window; the username rule: the last failure.
    public var windowStart: Int64 = 0
    public var banUntil: Int64 = 0
    /// From then on the record says nothing: a full table overwrites it first.
    public var expiresAt: Int64 = 0

    public init(failures: Int32 = 0, strikes: Int32 = 0, windowStart: Int64 = 0, banUntil: Int64 = 0, expiresAt: Int64 = 0) {
        self.failures = failures
        self.strikes = strikes
        self.windowStart = windowStart
        self.banUntil = banUntil
        self.expiresAt = expiresAt
    }
}

/// Failure counts by key, shared by every worker that answers for one site. Reading is
/// all a successful login does; only failures write. An implementation may forget a
/// record (a full table, a lost race): that only ever lets one more guess through.
public protocol FailureLedger: Sendable {
    func record(_ key: UInt64, now: Int64) -> FailureRecord?
    /// Replaces the key's record with `change(current)`.
    func update(_ key: UInt64, now: Int64, _ change: (FailureRecord?) -> FailureRecord)
    /// Whether other processes that did not fork from this one read the same records (nodes
    /// sharing a database): then keys must not depend on the process's random hash seed.
    var sharedAcrossNodes: Bool { get }
}

extension FailureLedger {
    public var sharedAcrossNodes: Bool { false }
}

/// The ledger of one process: CGI, `gatehouse request` and unit tests.
public final class LocalFailureLedger: FailureLedger {
    private let records = Mutex<[UInt64: FailureRecord]>([:])
    let capacity: Int

    public init(capacity: Int = 10_000) { self.capacity = capacity }

    public func record(_ key: UInt64, now: Int64) -> FailureRecord? {
        records.withLock { $0[key] }.flatMap { $0.expiresAt > now ? $0 : nil }
    }

    public func update(_ key: UInt64, now: Int64, _ change: (FailureRecord?) -> FailureRecord) {
        records.withLock { records in
            if records[key] == nil, records.count >= capacity {
                records = records.filter { $0.value.expiresAt > now }
                if records.count >= capacity, let soonest = records.min(by: { $0.value.expiresAt < $1.value.expiresAt }) {
                    records[soonest.key] = nil
                }
            }
            let current = records[key].flatMap { $0.expiresAt > now ? $0 : nil }
            records[key] = change(current)
        }
    }
}
