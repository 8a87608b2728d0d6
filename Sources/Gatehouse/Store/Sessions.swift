/// A server-side session: what one password login started, until it ends (logout, a
/// revocation, a new password, refresh-token reuse) or expires (absolute or idle).
package struct Session: Sendable, Equatable {
    package var id: String
    package var userID: Int64
    package var createdAt: Int64
    package var lastSeenAt: Int64
    package var expiresAt: Int64
    package var clientAddress: String
    package var userAgent: String
    /// What the login granted; a refresh can only narrow it.
    package var scopes: [String]
    package var endedAt: Int64?
    package var endReason: String?
    /// Keys the chain of this session's refresh tokens: each one's successor is derived from it.
    package var refreshKey: [UInt8]
    /// The login gave a one-time code (or a recovery code) as well as the password.
    package var secondFactor = false

    /// Live at `now`: not ended, before its absolute expiry and within `idleSeconds` of its last use.
    package func isLive(at now: Int64, idleSeconds: Int64) -> Bool {
        endedAt == nil && now < expiresAt && now < lastSeenAt + idleSeconds
    }
}

/// Why a session ended, as the store and the audit trail record it.
package enum SessionEnd: String, Sendable {
    case logout, revoked, passwordChanged = "password changed", disabled, refreshReuse = "refresh token reuse"
    case secondFactorChanged = "two-factor sign-in changed"
}

extension Store {
    static let sessionColumns =
        "id, user_id, created_at, last_seen_at, expires_at, client_address, user_agent, scopes, ended_at, end_reason, refresh_key, "
        + "second_factor"
    /// last_seen_at moves at most this often, so that using a session is a read almost always.
    package static let sessionTouchGranularity: Int64 = 60

    @discardableResult
    package func createSession(userID: Int64, scopes: [String], clientAddress: String, userAgent: String, now: Int64,
                              lifetime: Int64, secondFactor: Bool = false) throws -> Session {
        let session = Session(
            id: Base64.urlEncode(LibCrypto.randomBytes(16)), userID: userID, createdAt: now, lastSeenAt: now,
            expiresAt: now + lifetime, clientAddress: String(clientAddress.prefix(64)), userAgent: String(userAgent.prefix(256)),
            scopes: Store.unique(scopes), endedAt: nil, endReason: nil, refreshKey: LibCrypto.randomBytes(32),
            secondFactor: secondFactor)
        try locked {
            try connection.run(
                "INSERT INTO sessions (\(Store.sessionColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)",
                [.text(session.id), .int(userID), .int(now), .int(now), .int(session.expiresAt), .text(session.clientAddress),
                 .text(session.userAgent), .text(Store.joinList(session.scopes)), .blob(session.refreshKey),
                 .int(secondFactor ? 1 : 0)])
        }
        return session
    }

    /// Remembered like users: until anything is written to the database.
    package func session(id: String) throws -> Session? {
        guard id.utf8.count == 22 else { return nil }
        return try cached(\.sessions, id) {
            try connection.query("SELECT \(Store.sessionColumns) FROM sessions WHERE id = ?", [.text(id)], Store.readSession).first
        }
    }

    /// The user's sessions that have not ended, newest first (expired ones included until they are pruned).
    package func listSessions(userID: Int64) throws -> [Session] {
        try locked {
            try connection.query(
                "SELECT \(Store.sessionColumns) FROM sessions WHERE user_id = ? AND ended_at IS NULL ORDER BY created_at DESC, rowid DESC",
                [.int(userID)], Store.readSession)
        }
    }

    /// Sessions live at `now`, of every user: the gauge /metrics reports.
    package func liveSessionCount(now: Int64, idleSeconds: Int64) throws -> Int {
        try locked {
            try connection.query(
                "SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL AND expires_at > ? AND last_seen_at + ? > ?",
                [.int(now), .int(idleSeconds), .int(now)]) { Int($0.int(0)) }.first ?? 0
        }
    }

    /// Records a use; writes only when last_seen_at is at least `sessionTouchGranularity` old.
    package func touchSession(_ session: Session, now: Int64) throws {
        guard now - session.lastSeenAt >= Store.sessionTouchGranularity else { return }
        try locked {
            try connection.run("UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?",
                               [.int(now), .text(session.id), .int(now)])
        }
    }

    /// Ends one session (when `userID` is given, only if it is theirs). True when it was live.
    @discardableResult
    package func endSession(id: String, userID: Int64? = nil, reason: SessionEnd, now: Int64) throws -> Bool {
        try locked {
            try connection.run(
                "UPDATE sessions SET ended_at = ?1, end_reason = ?2 WHERE id = ?3 AND ended_at IS NULL AND (user_id = ?4 OR ?4 IS NULL)",
                [.int(now), .text(reason.rawValue), .text(id), .optional(userID)]) == 1
        }
    }

    /// Ends every live session of the user but `except`; how many ended.
    @discardableResult
    package func endSessions(userID: Int64, except: String? = nil, reason: SessionEnd, now: Int64) throws -> Int {
        try locked {
            try connection.run(
                "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE user_id = ? AND ended_at IS NULL AND id IS DISTINCT FROM ?",
                [.int(now), .text(reason.rawValue), .int(userID), .optional(except)])
        }
    }

    /// Removes sessions that ended, or expired, before `before`, with their refresh tokens
    /// (ON DELETE CASCADE); returns how many. Live sessions are never touched.
    @discardableResult
    package func pruneSessions(before: Int64) throws -> Int {
        try locked { try connection.run("DELETE FROM sessions WHERE COALESCE(ended_at, expires_at) < ?", [.int(before)]) }
    }

    static func readSession(_ row: SQLRow) -> Session {
        Session(id: row.text(0), userID: row.int(1), createdAt: row.int(2), lastSeenAt: row.int(3), expiresAt: row.int(4),
                clientAddress: row.text(5), userAgent: row.text(6), scopes: Store.splitList(row.text(7)),
                endedAt: row.optionalInt(8), endReason: row.optionalText(9), refreshKey: row.blob(10),
                secondFactor: row.int(11) != 0)
    }

    // MARK: refresh tokens

    package enum RefreshSpend: Equatable, Sendable {
        /// This call spent it: issue its successor.
        case spent(sessionID: String)
        /// Spent already, at that time.
        case alreadySpent(sessionID: String, at: Int64)
        case unknown
    }

    package func insertRefreshToken(hash: [UInt8], sessionID: String, now: Int64) throws {
        try locked {
            try connection.run("INSERT INTO refresh_tokens (hash, session_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                               [.blob(hash), .text(sessionID), .int(now)])
        }
    }

    /// Marks the token spent, atomically: of concurrent calls with one token, one gets `.spent`.
    package func spendRefreshToken(hash: [UInt8], now: Int64) throws -> RefreshSpend {
        try locked {
            try connection.transaction {
                guard let (sessionID, spentAt) = try connection.query(
                    "SELECT session_id, spent_at FROM refresh_tokens WHERE hash = ?", [.blob(hash)],
                    { ($0.text(0), $0.optionalInt(1)) }).first
                else { return .unknown }
                if let spentAt { return .alreadySpent(sessionID: sessionID, at: spentAt) }
                try connection.run("UPDATE refresh_tokens SET spent_at = ? WHERE hash = ? AND spent_at IS NULL", [.int(now), .blob(hash)])
                return .spent(sessionID: sessionID)
            }
        }
    }

    /// The session a refresh token (spent or not) belongs to.
    package func refreshTokenSession(hash: [UInt8]) throws -> String? {
        try locked {
            try connection.query("SELECT session_id FROM refresh_tokens WHERE hash = ?", [.blob(hash)]) { $0.text(0) }.first
        }
    }
}
