/// An account's TOTP row: the confirmed secret and the enrolment waiting for its first code,
/// both sealed with the two-factor key.
package struct TOTPRecord: Sendable, Equatable {
    package var userID: Int64
    package var secret: [UInt8]?
    package var enabledAt: Int64?
    /// The last time step accepted; a code of this step or an earlier one is refused.
    package var lastStep: Int64
    package var pendingSecret: [UInt8]?
    package var pendingAt: Int64?
}

/// The sign-in page's right password, waiting for the one-time code: bound to the account, to
/// the credential version the password was checked under, and to the client's address.
package struct PendingSignIn: Sendable, Equatable {
    package var userID: Int64
    package var credentialVersion: Int64
    package var clientAddress: String
    package var expiresAt: Int64
    package var failures: Int
}

extension Store {
    package func totp(userID: Int64) throws -> TOTPRecord? {
        try locked {
            try connection.query(
                "SELECT user_id, secret, enabled_at, last_step, pending_secret, pending_at FROM totp WHERE user_id = ?",
                [.int(userID)]
            ) { row in
                TOTPRecord(userID: row.int(0), secret: row.optionalBlob(1), enabledAt: row.optionalInt(2), lastStep: row.int(3),
                           pendingSecret: row.optionalBlob(4), pendingAt: row.optionalInt(5))
            }.first
        }
    }

    /// Starts (or restarts) an enrolment; a confirmed secret stays in force until the new one is confirmed.
    package func beginTOTPEnrolment(userID: Int64, sealedSecret: [UInt8], now: Int64) throws {
        try locked {
            try connection.run(
                """
                INSERT INTO totp (user_id, pending_secret, pending_at) VALUES (?, ?, ?)
                ON CONFLICT (user_id) DO UPDATE SET pending_secret = excluded.pending_secret, pending_at = excluded.pending_at
                """,
                [.int(userID), .blob(sealedSecret), .int(now)])
        }
    }

    /// Takes time step `step` of the confirmed secret, atomically: of two workers given the
    /// same code, one succeeds. False when that step (or a later one) was taken already.
    package func acceptTOTPStep(userID: Int64, step: Int64) throws -> Bool {
        try locked {
            try connection.run(
                "UPDATE totp SET last_step = ? WHERE user_id = ? AND secret IS NOT NULL AND last_step < ?",
                [.int(step), .int(userID), .int(step)]) == 1
        }
    }

    /// The pending secret becomes the account's, its code's step the last accepted, the
    /// recovery codes are replaced, and the account's tokens and sessions end (cv moves). False
    /// when the pending secret is no longer the one that was checked (another confirm won).
    package func confirmTOTP(userID: Int64, pendingSecret: [UInt8], step: Int64, recoveryHashes: [[UInt8]], now: Int64) throws -> Bool {
        try locked {
            try connection.transaction {
                let confirmed = try connection.run(
                    """
                    UPDATE totp SET secret = pending_secret, enabled_at = ?, last_step = ?, pending_secret = NULL, pending_at = NULL
                    WHERE user_id = ? AND pending_secret = ?
                    """,
                    [.int(now), .int(step), .int(userID), .blob(pendingSecret)])
                guard confirmed == 1 else { return false }
                try connection.run("DELETE FROM recovery_codes WHERE user_id = ?", [.int(userID)])
                for hash in recoveryHashes {
                    try connection.run("INSERT INTO recovery_codes (user_id, hash, created_at) VALUES (?, ?, ?)",
                                       [.int(userID), .blob(hash), .int(now)])
                }
                try endCredentials(userID: userID, now: now)
                return true
            }
        }
    }

    /// Turns two-factor sign-in off: the secret, the enrolment and the recovery codes go, and
    /// the account's tokens and sessions end. False when it was not on.
    package func disableTOTP(userID: Int64, now: Int64) throws -> Bool {
        try locked {
            try connection.transaction {
                guard try connection.run("DELETE FROM totp WHERE user_id = ? AND secret IS NOT NULL", [.int(userID)]) == 1 else {
                    return false
                }
                try connection.run("DELETE FROM recovery_codes WHERE user_id = ?", [.int(userID)])
                try endCredentials(userID: userID, now: now)
                return true
            }
        }
    }

    private func endCredentials(userID: Int64, now: Int64) throws {
        try connection.run("UPDATE users SET credential_version = credential_version + 1, updated_at = ? WHERE id = ?",
                           [.int(now), .int(userID)])
        _ = try endSessions(userID: userID, reason: .secondFactorChanged, now: now)
    }

    /// Spends a recovery code, atomically; false when it is not one of the account's unused codes.
    package func spendRecoveryCode(userID: Int64, hash: [UInt8], now: Int64) throws -> Bool {
        try locked {
            try connection.run(
                "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND hash = ? AND used_at IS NULL",
                [.int(now), .int(userID), .blob(hash)]) == 1
        }
    }

    package func unusedRecoveryCodes(userID: Int64) throws -> Int {
        try locked {
            try connection.query("SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", [.int(userID)]) {
                Int($0.int(0))
            }.first ?? 0
        }
    }

    // MARK: pending sign-ins

    /// Records a pending sign-in under the hash of its handle; expired ones are pruned on the way.
    package func createPendingSignIn(hash: [UInt8], _ pending: PendingSignIn, now: Int64) throws {
        try locked {
            try connection.transaction {
                try connection.run("DELETE FROM pending_sign_ins WHERE expires_at <= ?", [.int(now)])
                try connection.run(
                    "INSERT INTO pending_sign_ins (hash, user_id, credential_version, client_address, expires_at) VALUES (?, ?, ?, ?, ?)",
                    [.blob(hash), .int(pending.userID), .int(pending.credentialVersion), .text(pending.clientAddress),
                     .int(pending.expiresAt)])
            }
        }
    }

    package func pendingSignIn(hash: [UInt8]) throws -> PendingSignIn? {
        try locked {
            try connection.query(
                "SELECT user_id, credential_version, client_address, expires_at, failures FROM pending_sign_ins WHERE hash = ?",
                [.blob(hash)]
            ) { row in
                PendingSignIn(userID: row.int(0), credentialVersion: row.int(1), clientAddress: row.text(2), expiresAt: row.int(3),
                              failures: Int(row.int(4)))
            }.first
        }
    }

    /// Counts a wrong code against the pending sign-in; it is dropped at `limit`.
    package func failPendingSignIn(hash: [UInt8], limit: Int) throws {
        try locked {
            try connection.transaction {
                try connection.run("UPDATE pending_sign_ins SET failures = failures + 1 WHERE hash = ?", [.blob(hash)])
                try connection.run("DELETE FROM pending_sign_ins WHERE hash = ? AND failures >= ?", [.blob(hash), .int(Int64(limit))])
            }
        }
    }

    /// Spends it, atomically: true for the one caller that removed it.
    package func spendPendingSignIn(hash: [UInt8]) throws -> Bool {
        try locked { try connection.run("DELETE FROM pending_sign_ins WHERE hash = ?", [.blob(hash)]) == 1 }
    }
}
