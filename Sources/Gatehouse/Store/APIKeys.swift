/// An API key as stored: the public id, and only a hash of the secret.
package struct APIKeyRecord: Sendable, Equatable {
    package var id: String
    package var userID: Int64
    package var name: String
    package var secretHash: [UInt8]
    package var scopes: [String]
    package var createdAt: Int64
    package var expiresAt: Int64?
    package var lastUsedAt: Int64?
    package var revokedAt: Int64?

    package init(id: String, userID: Int64, name: String, secretHash: [UInt8], scopes: [String], createdAt: Int64,
                expiresAt: Int64? = nil, lastUsedAt: Int64? = nil, revokedAt: Int64? = nil) {
        self.id = id
        self.userID = userID
        self.name = name
        self.secretHash = secretHash
        self.scopes = scopes
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

extension Store {
    static let apiKeyColumns = "id, user_id, name, secret_hash, scopes, created_at, expires_at, last_used_at, revoked_at"
    /// last_used_at is only rewritten when it moved at least this much, so that
    /// authenticating with a key is a read, not a write, almost always.
    package static let touchGranularity: Int64 = 60

    /// duplicate when the id is taken, notFound when the user does not exist.
    package func insertAPIKey(_ key: APIKeyRecord) throws {
        try Store.checkScopes(key.scopes)
        try locked {
            try connection.transaction {
                guard try !connection.query("SELECT 1 FROM users WHERE id = ?", [.int(key.userID)], { _ in true }).isEmpty else {
                    throw StoreError.notFound("user #\(key.userID)")
                }
                do {
                    try connection.run(
                        "INSERT INTO api_keys (\(Store.apiKeyColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [.text(key.id), .int(key.userID), .text(key.name), .blob(key.secretHash),
                         .text(Store.joinList(Store.unique(key.scopes))), .int(key.createdAt), .optional(key.expiresAt),
                         .optional(key.lastUsedAt), .optional(key.revokedAt)])
                } catch let error where Store.isUniqueViolation(error) {
                    throw StoreError.duplicate("API key '\(key.id)'")
                }
            }
        }
    }

    package func apiKey(id: String) throws -> APIKeyRecord? {
        try cached(\.apiKeys, id) {
            try connection.query("SELECT \(Store.apiKeyColumns) FROM api_keys WHERE id = ?", [.text(id)], Store.readAPIKey).first
        }
    }

    /// The user's keys, revoked ones included, oldest first.
    package func listAPIKeys(userID: Int64) throws -> [APIKeyRecord] {
        try locked {
            try connection.query(
                "SELECT \(Store.apiKeyColumns) FROM api_keys WHERE user_id = ? ORDER BY created_at, rowid",
                [.int(userID)], Store.readAPIKey)
        }
    }

    /// Revokes the key (when `userID` is given, only if it is theirs). True when such a
    /// key exists; revoking again keeps the first revocation time.
    @discardableResult
    package func revokeAPIKey(id: String, userID: Int64? = nil, now: Int64 = Store.now()) throws -> Bool {
        try locked {
            try connection.run(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?1) WHERE id = ?2 AND (user_id = ?3 OR ?3 IS NULL)",
                [.int(now), .text(id), .optional(userID)]) == 1
        }
    }

    /// Records a use of the key; writes only when last_used_at is unset or at least
    /// `touchGranularity` seconds old. True when it wrote.
    @discardableResult
    package func touchAPIKey(id: String, now: Int64 = Store.now()) throws -> Bool {
        // What the key was last read with says whether a write is due: a read, not a query.
        guard let key = try apiKey(id: id) else { return false }
        if let last = key.lastUsedAt, now - last < Store.touchGranularity { return false }
        return try locked {
            try connection.run(
                "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)",
                [.int(now), .text(id), .int(now - Store.touchGranularity)]) == 1
        }
    }

    static func readAPIKey(_ row: SQLRow) -> APIKeyRecord {
        APIKeyRecord(id: row.text(0), userID: row.int(1), name: row.text(2), secretHash: row.blob(3),
                     scopes: Store.splitList(row.text(4)), createdAt: row.int(5), expiresAt: row.optionalInt(6),
                     lastUsedAt: row.optionalInt(7), revokedAt: row.optionalInt(8))
    }
}
