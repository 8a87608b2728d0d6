/// What a token that mails out is for. Each kind has its own prefix, so a token of one kind
/// is never accepted as another.
package enum AccountTokenPurpose: String, Sendable, CaseIterable {
    case verify, reset, invite
}

/// One row of `account_tokens`: the token itself is never stored, only its SHA-256.
package struct AccountTokenRecord: Sendable, Equatable {
    package var purpose: AccountTokenPurpose
    /// The account it is for (verification, reset); nil for an invite, and for the decoy a
    /// forgot-password for nobody writes.
    package var userID: Int64?
    /// The address a verification proves, or the one an invite is for.
    package var email: String?
    /// A reset token replaces only the password set at this time.
    package var passwordChangedAt: Int64?
    package var createdBy: String
    package var createdAt: Int64
    package var expiresAt: Int64
    package var spentAt: Int64?
}

extension Store {
    static let accountTokenColumns = "purpose, user_id, email, password_changed_at, created_by, created_at, expires_at, spent_at"

    package func insertAccountToken(hash: [UInt8], _ record: AccountTokenRecord) throws {
        try locked {
            _ = try connection.run(
                "INSERT INTO account_tokens (hash, \(Store.accountTokenColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [.blob(hash), .text(record.purpose.rawValue), .optional(record.userID), .optional(record.email),
                 .optional(record.passwordChangedAt), .text(record.createdBy), .int(record.createdAt), .int(record.expiresAt),
                 .optional(record.spentAt)])
        }
    }

    package func accountToken(hash: [UInt8]) throws -> AccountTokenRecord? {
        try locked {
            try connection.query("SELECT \(Store.accountTokenColumns) FROM account_tokens WHERE hash = ?", [.blob(hash)]) { row in
                AccountTokenRecord(
                    purpose: AccountTokenPurpose(rawValue: row.text(0)) ?? .invite, userID: row.optionalInt(1),
                    email: row.optionalText(2), passwordChangedAt: row.optionalInt(3), createdBy: row.text(4),
                    createdAt: row.int(5), expiresAt: row.int(6), spentAt: row.optionalInt(7))
            }.first
        }
    }

    /// Spends the token atomically: of two concurrent uses, exactly one gets true.
    package func spendAccountToken(hash: [UInt8], now: Int64) throws -> Bool {
        try locked {
            try connection.run("UPDATE account_tokens SET spent_at = ? WHERE hash = ? AND spent_at IS NULL AND expires_at > ?",
                               [.int(now), .blob(hash), .int(now)]) == 1
        }
    }

    /// Spends every live token of that purpose the user has (a new password ends the resets).
    package func spendAccountTokens(userID: Int64, purpose: AccountTokenPurpose, now: Int64) throws {
        try locked {
            _ = try connection.run("UPDATE account_tokens SET spent_at = ? WHERE user_id = ? AND purpose = ? AND spent_at IS NULL",
                                   [.int(now), .int(userID), .text(purpose.rawValue)])
        }
    }

    /// Invites that are neither spent nor expired, newest first.
    package func liveInvites(now: Int64) throws -> [AccountTokenRecord] {
        try locked {
            try connection.query(
                "SELECT \(Store.accountTokenColumns) FROM account_tokens WHERE purpose = 'invite' AND spent_at IS NULL "
                    + "AND expires_at > ? ORDER BY created_at DESC", [.int(now)]
            ) { row in
                AccountTokenRecord(
                    purpose: .invite, userID: nil, email: row.optionalText(2), passwordChangedAt: nil, createdBy: row.text(4),
                    createdAt: row.int(5), expiresAt: row.int(6), spentAt: nil)
            }
        }
    }

    /// Removes the tokens that expired or were spent before `before`; how many.
    @discardableResult
    package func pruneAccountTokens(before: Int64) throws -> Int {
        try locked {
            try connection.run("DELETE FROM account_tokens WHERE expires_at < ? OR spent_at < ?", [.int(before), .int(before)])
        }
    }
}
