/// The failure ledger in the store, for nodes that share a PostgreSQL database: a ban made
/// on one node holds on all. A check reads one row; only a failure writes (and then removes
/// the expired rows). A database error forgets, as any ledger may: one more guess, no outage.
final class StoreFailureLedger: FailureLedger, @unchecked Sendable {
    private let store: Store

    init(store: Store) { self.store = store }

    var sharedAcrossNodes: Bool { true }

    func record(_ key: UInt64, now: Int64) -> FailureRecord? {
        try? store.failureRecord(Int64(bitPattern: key), now: now)
    }

    func update(_ key: UInt64, now: Int64, _ change: (FailureRecord?) -> FailureRecord) {
        try? store.updateFailureRecord(Int64(bitPattern: key), now: now, change)
    }
}

extension Store {
    func failureRecord(_ key: Int64, now: Int64) throws -> FailureRecord? {
        try locked {
            try connection.query(
                "SELECT failures, strikes, window_start, ban_until, expires_at FROM throttle_failures WHERE key = ? AND expires_at > ?",
                [.int(key), .int(now)]
            ) { row in
                FailureRecord(failures: Int32(clamping: row.int(0)), strikes: Int32(clamping: row.int(1)), windowStart: row.int(2),
                              banUntil: row.int(3), expiresAt: row.int(4))
            }.first
        }
    }

    func updateFailureRecord(_ key: Int64, now: Int64, _ change: (FailureRecord?) -> FailureRecord) throws {
        try transaction {
            let next = change(try failureRecord(key, now: now))
            try connection.run(
                "INSERT INTO throttle_failures (key, failures, strikes, window_start, ban_until, expires_at) VALUES (?, ?, ?, ?, ?, ?) "
                    + "ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, strikes = excluded.strikes, "
                    + "window_start = excluded.window_start, ban_until = excluded.ban_until, expires_at = excluded.expires_at",
                [.int(key), .int(Int64(next.failures)), .int(Int64(next.strikes)), .int(next.windowStart), .int(next.banUntil),
                 .int(next.expiresAt)])
            try connection.run("DELETE FROM throttle_failures WHERE expires_at <= ?", [.int(now)])
        }
    }
}
