/// A message waiting in, or kept by, the outbox. It is rendered only when the master
/// delivers it: the row holds what the template needs and the nonce its token derives from.
package struct OutboxMessage: Sendable, Equatable {
    package enum State: String, Sendable, CaseIterable {
        /// Waiting for its next attempt.
        case queued
        case sent
        /// Out of attempts: kept, visible in `gatehouse mail list`, until retried or purged.
        case failed
        /// Written by a request that must look like one that queued mail (a forgot-password for
        /// nobody), never delivered; the master removes it.
        case discarded
    }

    package var id: Int64 = 0
    package var kind: AccountTokenPurpose
    package var recipient: String
    package var username: String
    package var fullName: String
    package var nonce: [UInt8]?
    package var state: State
    package var attempts: Int
    package var createdAt: Int64
    package var nextAttemptAt: Int64
    package var sentAt: Int64?
    package var lastError: String

    package init(kind: AccountTokenPurpose, recipient: String, username: String, fullName: String, nonce: [UInt8]?,
                 state: State = .queued, now: Int64) {
        self.kind = kind
        self.recipient = recipient
        self.username = username
        self.fullName = fullName
        self.nonce = nonce
        self.state = state
        attempts = 0
        createdAt = now
        nextAttemptAt = now
        sentAt = nil
        lastError = ""
    }
}

extension Store {
    static let outboxColumns =
        "id, kind, recipient, username, full_name, nonce, state, attempts, created_at, next_attempt_at, sent_at, last_error"

    @discardableResult
    package func enqueue(_ message: OutboxMessage) throws -> Int64 {
        try locked {
            try connection.insert(
                "INSERT INTO outbox (kind, recipient, username, full_name, nonce, state, attempts, created_at, next_attempt_at) "
                    + "VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING id",
                [.text(message.kind.rawValue), .text(message.recipient), .text(message.username), .text(message.fullName),
                 message.nonce.map(SQLValue.blob) ?? .null, .text(message.state.rawValue), .int(message.createdAt),
                 .int(message.nextAttemptAt)])
        }
    }

    /// Queued messages whose next attempt is due, oldest first.
    package func dueMessages(now: Int64, limit: Int = 50) throws -> [OutboxMessage] {
        try outbox(where: "state = 'queued' AND next_attempt_at <= ? ORDER BY id LIMIT ?", [.int(now), .int(Int64(limit))])
    }

    /// Every message kept, or those in one state, newest last.
    package func outboxMessages(state: OutboxMessage.State? = nil) throws -> [OutboxMessage] {
        try outbox(where: "(state = ?1 OR ?1 IS NULL) AND state <> 'discarded' ORDER BY id", [.optional(state?.rawValue)])
    }

    /// Takes a due message for one delivery attempt: false when another node's master took it
    /// first. It is not due again for `lease` seconds, should this attempt never report back.
    package func claimMessage(id: Int64, now: Int64, lease: Int64) throws -> Bool {
        try locked {
            try connection.run(
                "UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND state = 'queued' AND next_attempt_at <= ?",
                [.int(now + lease), .int(id), .int(now)]) == 1
        }
    }

    /// Delivered: the nonce goes, so that not even the key holder can derive the token again.
    package func markSent(id: Int64, now: Int64) throws {
        try locked {
            _ = try connection.run(
                "UPDATE outbox SET state = 'sent', sent_at = ?, nonce = NULL, attempts = attempts + 1, last_error = '' WHERE id = ?",
                [.int(now), .int(id)])
        }
    }

    /// One failed attempt: queued again at `retryAt`, or failed for good when nil.
    package func markAttemptFailed(id: Int64, error: String, retryAt: Int64?, now: Int64) throws {
        try locked {
            _ = try connection.run(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, state = ?, next_attempt_at = ? WHERE id = ?",
                [.text(String(error.prefix(500))), .text(retryAt == nil ? "failed" : "queued"), .int(retryAt ?? now), .int(id)])
        }
    }

    /// Failed messages (all, or one) queued again with fresh attempts; how many.
    @discardableResult
    package func retryMessages(id: Int64?, now: Int64) throws -> Int {
        try locked {
            try connection.run(
                "UPDATE outbox SET state = 'queued', attempts = 0, next_attempt_at = ?1 WHERE state = 'failed' AND (id = ?2 OR ?2 IS NULL)",
                [.int(now), .optional(id)])
        }
    }

    /// Removes sent and discarded messages, and failed ones too when `failed`; how many.
    @discardableResult
    package func purgeMessages(failed: Bool, before: Int64? = nil) throws -> Int {
        try locked {
            try connection.run(
                "DELETE FROM outbox WHERE (state IN ('sent', 'discarded') OR (?1 = 1 AND state = 'failed')) AND (created_at < ?2 OR ?2 IS NULL)",
                [.int(failed ? 1 : 0), .optional(before)])
        }
    }

    /// Decoy rows are written only to be removed.
    package func purgeDiscardedMessages() throws {
        try locked { _ = try connection.run("DELETE FROM outbox WHERE state = 'discarded'") }
    }

    private func outbox(where clause: String, _ values: [SQLValue]) throws -> [OutboxMessage] {
        try locked {
            try connection.query("SELECT \(Store.outboxColumns) FROM outbox WHERE \(clause)", values) { row in
                var m = OutboxMessage(
                    kind: AccountTokenPurpose(rawValue: row.text(1)) ?? .verify, recipient: row.text(2), username: row.text(3),
                    fullName: row.text(4), nonce: row.isNull(5) ? nil : row.blob(5),
                    state: OutboxMessage.State(rawValue: row.text(6)) ?? .failed, now: row.int(8))
                m.id = row.int(0)
                m.attempts = Int(row.int(7))
                m.nextAttemptAt = row.int(9)
                m.sentAt = row.optionalInt(10)
                m.lastError = row.text(11)
                return m
            }
        }
    }
}
