public struct User: Sendable, Equatable {
    public var id: Int64
    public var username: String
    public var email: String?
    public var fullName: String?
    public var passwordHash: String
    public var disabled: Bool
    /// Scopes granted to the user directly, in grant order.
    public var scopes: [String]
    /// Roles granted to the user, in grant order.
    public var roles: [String]
    public var createdAt: Int64
    public var updatedAt: Int64
    public var passwordChangedAt: Int64
    /// Moves on every change that must end the account's tokens: a new password, disabling,
    /// and the loss of a scope, a role or a role's permission. Tokens carry it as `cv`.
    public var credentialVersion: Int64
    /// Two-factor sign-in is on: a password alone opens nothing.
    public var totpEnabled: Bool
    /// When the current email was proven to be the user's (nil: never, or it changed since).
    public var emailVerifiedAt: Int64?

    public init(id: Int64, username: String, email: String? = nil, fullName: String? = nil, passwordHash: String,
                disabled: Bool = false, scopes: [String] = [], roles: [String] = [], createdAt: Int64,
                updatedAt: Int64, passwordChangedAt: Int64, credentialVersion: Int64 = 0, totpEnabled: Bool = false,
                emailVerifiedAt: Int64? = nil) {
        self.id = id
        self.username = username
        self.email = email
        self.fullName = fullName
        self.passwordHash = passwordHash
        self.disabled = disabled
        self.scopes = scopes
        self.roles = roles
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.passwordChangedAt = passwordChangedAt
        self.credentialVersion = credentialVersion
        self.totpEnabled = totpEnabled
        self.emailVerifiedAt = emailVerifiedAt
    }

    public var emailVerified: Bool { email != nil && emailVerifiedAt != nil }
}

extension Store {
    static let userColumns =
        "id, username, email, full_name, password_hash, disabled, scopes, created_at, updated_at, password_changed_at, credential_version, "
        + "CASE WHEN EXISTS (SELECT 1 FROM totp WHERE totp.user_id = users.id AND totp.secret IS NOT NULL) THEN 1 ELSE 0 END, "
        + "email_verified_at"

    /// nil for an unknown user, and for a name no user could have. Names compare without case.
    public func user(named username: String) throws -> User? {
        guard Store.validUsername(username) else { return nil }
        return try cached(\.usersByName, username) {
            try connection.query(Store.userByName, [.text(username)], Store.readUser).first.map(withRoles)
        }
    }

    public func user(id: Int64) throws -> User? {
        try cached(\.usersByID, id) {
            try connection.query(Store.userByID, [.int(id)], Store.readUser).first.map(withRoles)
        }
    }

    static let userByName = "SELECT \(userColumns) FROM users WHERE username = ?"
    static let userByID = "SELECT \(userColumns) FROM users WHERE id = ?"

    /// StoreError.duplicate when the username is taken, .invalid for a bad username or scope.
    @discardableResult
    public func createUser(username: String, email: String? = nil, fullName: String? = nil, passwordHash: String,
                           disabled: Bool = false, scopes: [String] = [], now: Int64 = Store.now()) throws -> User {
        try Store.checkUsername(username)
        try Store.checkScopes(scopes)
        let scopes = Store.unique(scopes)
        return try locked {
            let id: Int64
            do {
                id = try connection.insert(
                    """
                    INSERT INTO users (username, email, full_name, password_hash, disabled, scopes,
                                       created_at, updated_at, password_changed_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                    """,
                    [.text(username), .optional(email), .optional(fullName), .text(passwordHash), .int(disabled ? 1 : 0),
                     .text(Store.joinList(scopes)), .int(now), .int(now), .int(now)])
            } catch let error where Store.isUniqueViolation(error) {
                throw StoreError.duplicate("user '\(username)'")
            }
            return User(id: id, username: username, email: email, fullName: fullName,
                        passwordHash: passwordHash, disabled: disabled, scopes: scopes, roles: [], createdAt: now,
                        updatedAt: now, passwordChangedAt: now)
        }
    }

    /// Saves email, full name, disabled and scopes (not the username, hash or roles).
    /// Disabling the user or taking a scope away ends their tokens; disabling also ends their
    /// sessions, while a lost scope only narrows them (their next refresh no longer grants it).
    @discardableResult
    public func updateUser(_ user: User, now: Int64 = Store.now()) throws -> User {
        try Store.checkScopes(user.scopes)
        let scopes = Store.unique(user.scopes)
        return try locked {
            try connection.transaction {
                guard let before = try connection.query(Store.userByID, [.int(user.id)], Store.readUser).first else {
                    throw StoreError.notFound("user '\(user.username)'")
                }
                let disabling = user.disabled && !before.disabled
                let emailChanged = user.email?.lowercased() != before.email?.lowercased()
                let narrowed = disabling || before.scopes.contains { !scopes.contains($0) }
                try connection.run(
                    """
                    UPDATE users SET email = ?, full_name = ?, disabled = ?, scopes = ?, updated_at = ?,
                                     credential_version = credential_version + ?,
                                     email_verified_at = CASE WHEN ? = 1 THEN NULL ELSE email_verified_at END WHERE id = ?
                    """,
                    [.optional(user.email), .optional(user.fullName), .int(user.disabled ? 1 : 0),
                     .text(Store.joinList(scopes)), .int(now), .int(narrowed ? 1 : 0), .int(emailChanged ? 1 : 0),
                     .int(user.id)])
                if disabling { _ = try endSessions(userID: user.id, reason: SessionEnd.disabled, now: now) }
                guard let saved = try self.user(id: user.id) else { throw StoreError.notFound("user '\(user.username)'") }
                return saved
            }
        }
    }

    /// A new password ends the account's tokens and sessions (all but `keepingSession`, the
    /// one that changed it), and the reset tokens bound to the old password.
    public func setPasswordHash(userID: Int64, hash: String, now: Int64 = Store.now(), keepingSession: String? = nil) throws {
        try locked {
            try connection.transaction {
                let changed = try connection.run(
                    """
                    UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ?,
                                     credential_version = credential_version + 1 WHERE id = ?
                    """,
                    [.text(hash), .int(now), .int(now), .int(userID)])
                guard changed == 1 else { throw StoreError.notFound("user #\(userID)") }
                _ = try endSessions(userID: userID, except: keepingSession, reason: SessionEnd.passwordChanged, now: now)
                try spendAccountTokens(userID: userID, purpose: .reset, now: now)
            }
        }
    }

    /// Marks the user's current email as theirs.
    package func markEmailVerified(userID: Int64, now: Int64) throws {
        try locked {
            _ = try connection.run("UPDATE users SET email_verified_at = ?, updated_at = ? WHERE id = ?",
                                   [.int(now), .int(now), .int(userID)])
        }
    }

    /// The users whose email is this one, compared without regard to (ASCII) case.
    package func users(withEmail email: String) throws -> [User] {
        try locked {
            try connection.query("SELECT \(Store.userColumns) FROM users WHERE email = ? COLLATE NOCASE ORDER BY id",
                                 [.text(email)], Store.readUser).map(withRoles)
        }
    }

    /// The same password in a stronger hash (rehash on login): the account's tokens stay valid.
    public func upgradePasswordHash(userID: Int64, hash: String, now: Int64 = Store.now()) throws {
        try locked {
            let changed = try connection.run(
                "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", [.text(hash), .int(now), .int(userID)])
            guard changed == 1 else { throw StoreError.notFound("user #\(userID)") }
        }
    }

    /// Ends the tokens of every holder of the role (its permissions shrank, or it is going).
    func invalidateTokens(ofRoleHolders role: String) throws {
        try connection.run(
            "UPDATE users SET credential_version = credential_version + 1 WHERE id IN (SELECT user_id FROM user_roles WHERE role_name = ?)",
            [.text(role)])
    }

    /// Deletes the user with their role grants and API keys; false when there was none.
    @discardableResult
    public func deleteUser(id: Int64) throws -> Bool {
        try locked { try connection.run("DELETE FROM users WHERE id = ?", [.int(id)]) == 1 }
    }

    /// Users in id (creation) order.
    public func listUsers(offset: Int = 0, limit: Int = 100) throws -> [User] {
        try locked {
            try connection.query(
                "SELECT \(Store.userColumns) FROM users ORDER BY id LIMIT ? OFFSET ?",
                [.int(Int64(max(0, limit))), .int(Int64(max(0, offset)))], Store.readUser
            ).map(withRoles)
        }
    }

    public func countUsers() throws -> Int {
        try locked { try connection.query("SELECT COUNT(*) FROM users") { Int($0.int(0)) }.first ?? 0 }
    }

    static func readUser(_ row: SQLRow) -> User {
        User(id: row.int(0), username: row.text(1), email: row.optionalText(2), fullName: row.optionalText(3),
             passwordHash: row.text(4), disabled: row.int(5) != 0, scopes: Store.splitList(row.text(6)), roles: [],
             createdAt: row.int(7), updatedAt: row.int(8), passwordChangedAt: row.int(9), credentialVersion: row.int(10),
             totpEnabled: row.int(11) != 0, emailVerifiedAt: row.optionalInt(12))
    }

    private func withRoles(_ user: User) throws -> User {
        var user = user
        user.roles = try connection.query(
            "SELECT role_name FROM user_roles WHERE user_id = ? ORDER BY rowid", [.int(user.id)]) { $0.text(0) }
        return user
    }
}
