/// The `audit` table: rows are only ever added (a trigger refuses updates) and only the
/// master's retention removes the oldest.
extension Store {
    package func appendAudit(_ entry: AuditEntry) throws {
        try locked {
            _ = try connection.run(
                "INSERT INTO audit (time, event, user_id, username, actor, address, request_id, outcome, detail) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [.int(entry.time), .text(entry.event.rawValue), .optional(entry.userID), .optional(entry.username),
                 .text(entry.actor), .text(entry.address), .text(entry.requestID), .text(entry.outcome), .text(entry.detail)])
        }
    }

    /// The newest `limit` rows that match, oldest first. `event` matches a whole name
    /// (`login.failed`) or a subject (`login`); `username` the account or the actor.
    package func auditEntries(username: String? = nil, event: String? = nil, since: Int64? = nil, limit: Int = 100) throws
        -> [AuditEntry]
    {
        try locked {
            try connection.query(
                "SELECT id, time, event, user_id, username, actor, address, request_id, outcome, detail FROM audit "
                    + "WHERE (username = ?1 COLLATE NOCASE OR actor = ?1 COLLATE NOCASE OR ?1 IS NULL) "
                    + "AND (event = ?2 OR substr(event, 1, length(?2) + 1) = ?2 || '.' OR ?2 IS NULL) "
                    + "AND (time >= ?3 OR ?3 IS NULL) ORDER BY id DESC LIMIT ?4",
                [.optional(username), .optional(event), .optional(since), .int(Int64(limit))]
            ) { row in
                var entry = AuditEntry(
                    time: row.int(1), event: AuditEvent(rawValue: row.text(2)), userID: row.optionalInt(3),
                    username: row.optionalText(4), actor: row.text(5), address: row.text(6), requestID: row.text(7),
                    outcome: row.text(8), detail: row.text(9))
                entry.id = row.int(0)
                return entry
            }.reversed()
        }
    }

    /// Removes the rows older than `before`; returns how many.
    @discardableResult
    package func pruneAudit(before: Int64) throws -> Int {
        try locked { try connection.run("DELETE FROM audit WHERE time < ?", [.int(before)]) }
    }
}
