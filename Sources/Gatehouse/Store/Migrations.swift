/// The schema, as numbered steps. A step, once released, never changes: add a new one.
extension Store {
    static let migrations: [Migration] = [
        Migration(1, """
            CREATE TABLE users (
                id INTEGER PRIMARY KEY,
                username TEXT NOT NULL UNIQUE,
                email TEXT,
                full_name TEXT,
                password_hash TEXT NOT NULL,
                disabled INTEGER NOT NULL DEFAULT 0,
                scopes TEXT NOT NULL DEFAULT '',
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                password_changed_at INTEGER NOT NULL
            );
            CREATE TABLE roles (
                name TEXT PRIMARY KEY,
                permissions TEXT NOT NULL DEFAULT '',
                created_at INTEGER NOT NULL
            );
            CREATE TABLE user_roles (
                user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                role_name TEXT NOT NULL REFERENCES roles(name) ON DELETE CASCADE,
                PRIMARY KEY (user_id, role_name)
            );
            CREATE INDEX user_roles_role ON user_roles(role_name);
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                secret_hash BLOB NOT NULL,
                scopes TEXT NOT NULL DEFAULT '',
                created_at INTEGER NOT NULL,
                expires_at INTEGER,
                last_used_at INTEGER,
                revoked_at INTEGER
            );
            CREATE INDEX api_keys_user ON api_keys(user_id);
            """),
        // Ids are never handed out twice (a token names its account by id), usernames are
        // unique whatever their case, and credential_version counts the changes that
        // invalidate the account's tokens. SQLite adds AUTOINCREMENT only by rebuilding.
        Migration(2, rebuildsTables: true, """
            CREATE TABLE users_v2 (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                username TEXT NOT NULL UNIQUE COLLATE NOCASE,
                email TEXT,
                full_name TEXT,
                password_hash TEXT NOT NULL,
                disabled INTEGER NOT NULL DEFAULT 0,
                scopes TEXT NOT NULL DEFAULT '',
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                password_changed_at INTEGER NOT NULL,
                credential_version INTEGER NOT NULL DEFAULT 0
            );
            INSERT INTO users_v2 (id, username, email, full_name, password_hash, disabled, scopes,
                                  created_at, updated_at, password_changed_at)
                SELECT id, username, email, full_name, password_hash, disabled, scopes,
                       created_at, updated_at, password_changed_at FROM users;
            DROP TABLE users;
            ALTER TABLE users_v2 RENAME TO users;
            """),
        // The audit trail: no foreign key, so a row outlives the account it names.
        Migration(3, """
            CREATE TABLE audit (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                time INTEGER NOT NULL,
                event TEXT NOT NULL,
                user_id INTEGER,
                username TEXT,
                actor TEXT NOT NULL DEFAULT '',
                address TEXT NOT NULL DEFAULT '',
                request_id TEXT NOT NULL DEFAULT '',
                outcome TEXT NOT NULL,
                detail TEXT NOT NULL DEFAULT ''
            );
            CREATE INDEX audit_time ON audit(time);
            CREATE INDEX audit_username ON audit(username COLLATE NOCASE);
            CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit
                BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;
            """),
        // Server-side sessions (one per password login) and their refresh tokens, stored as
        // hashes; a spent token keeps its row, so that presenting it again is recognised.
        Migration(4, """
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                created_at INTEGER NOT NULL,
                last_seen_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                client_address TEXT NOT NULL DEFAULT '',
                user_agent TEXT NOT NULL DEFAULT '',
                scopes TEXT NOT NULL DEFAULT '',
                ended_at INTEGER,
                end_reason TEXT,
                refresh_key BLOB NOT NULL
            );
            CREATE INDEX sessions_user ON sessions(user_id);
            CREATE TABLE refresh_tokens (
                hash BLOB PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                created_at INTEGER NOT NULL,
                spent_at INTEGER
            );
            CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);
            """),
        // Self-service accounts: whether the email was verified, the tokens that mail out
        // (verification, reset, invite; stored as SHA-256 only) and the outbox the master
        // delivers from. A queued message holds a nonce, never the token: only the holder
        // of the account-token key derives the token from it, and it is cleared once sent.
        Migration(5, """
            ALTER TABLE users ADD COLUMN email_verified_at INTEGER;
            CREATE INDEX users_email ON users(email COLLATE NOCASE);
            CREATE TABLE account_tokens (
                hash BLOB PRIMARY KEY,
                purpose TEXT NOT NULL,
                user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
                email TEXT,
                password_changed_at INTEGER,
                created_by TEXT NOT NULL DEFAULT '',
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                spent_at INTEGER
            );
            CREATE INDEX account_tokens_user ON account_tokens(user_id);
            CREATE TABLE outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                kind TEXT NOT NULL,
                recipient TEXT NOT NULL,
                username TEXT NOT NULL DEFAULT '',
                full_name TEXT NOT NULL DEFAULT '',
                nonce BLOB,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                created_at INTEGER NOT NULL,
                next_attempt_at INTEGER NOT NULL,
                sent_at INTEGER,
                last_error TEXT NOT NULL DEFAULT ''
            );
            CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
            """, postgresql: """
            ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
            CREATE INDEX users_email ON users(email COLLATE nocase);
            CREATE TABLE account_tokens (
                hash BYTEA PRIMARY KEY,
                purpose TEXT NOT NULL,
                user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
                email TEXT,
                password_changed_at BIGINT,
                created_by TEXT NOT NULL DEFAULT '',
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                spent_at BIGINT
            );
            CREATE INDEX account_tokens_user ON account_tokens(user_id);
            CREATE TABLE outbox (
                id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                kind TEXT NOT NULL,
                recipient TEXT NOT NULL,
                username TEXT NOT NULL DEFAULT '',
                full_name TEXT NOT NULL DEFAULT '',
                nonce BYTEA,
                state TEXT NOT NULL,
                attempts BIGINT NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL,
                next_attempt_at BIGINT NOT NULL,
                sent_at BIGINT,
                last_error TEXT NOT NULL DEFAULT ''
            );
            CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
            """),
        // Two-factor sign-in (TOTP). `secret` is the confirmed secret (sealed with the two-factor
        // key), NULL until a code confirms `pending_secret`; `last_step` is the last time step
        // accepted, so that no code counts twice. Recovery codes are stored as keyed hashes.
        // A pending sign-in is the sign-in page's right password, waiting for its code.
        // A session remembers whether its login gave a second factor.
        Migration(6, """
            CREATE TABLE totp (
                user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
                secret BLOB,
                enabled_at INTEGER,
                last_step INTEGER NOT NULL DEFAULT -1,
                pending_secret BLOB,
                pending_at INTEGER
            );
            CREATE TABLE recovery_codes (
                user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                hash BLOB NOT NULL,
                created_at INTEGER NOT NULL,
                used_at INTEGER,
                PRIMARY KEY (user_id, hash)
            );
            CREATE TABLE pending_sign_ins (
                hash BLOB PRIMARY KEY,
                user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                credential_version INTEGER NOT NULL,
                client_address TEXT NOT NULL DEFAULT '',
                expires_at INTEGER NOT NULL,
                failures INTEGER NOT NULL DEFAULT 0
            );
            CREATE INDEX pending_sign_ins_expiry ON pending_sign_ins(expires_at);
            ALTER TABLE sessions ADD COLUMN second_factor INTEGER NOT NULL DEFAULT 0;
            """, postgresql: """
            CREATE TABLE totp (
                user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
                secret BYTEA,
                enabled_at BIGINT,
                last_step BIGINT NOT NULL DEFAULT -1,
                pending_secret BYTEA,
                pending_at BIGINT
            );
            CREATE TABLE recovery_codes (
                user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                hash BYTEA NOT NULL,
                created_at BIGINT NOT NULL,
                used_at BIGINT,
                PRIMARY KEY (user_id, hash)
            );
            CREATE TABLE pending_sign_ins (
                hash BYTEA PRIMARY KEY,
                user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                credential_version BIGINT NOT NULL,
                client_address TEXT NOT NULL DEFAULT '',
                expires_at BIGINT NOT NULL,
                failures BIGINT NOT NULL DEFAULT 0
            );
            CREATE INDEX pending_sign_ins_expiry ON pending_sign_ins(expires_at);
            ALTER TABLE sessions ADD COLUMN second_factor BIGINT NOT NULL DEFAULT 0;
            \(notifyTriggers(on: ["totp"]))
            """),
    ]

    struct Migration {
        let version: Int
        /// Rebuilt tables are dropped and renamed: foreign keys must be off around the
        /// transaction, or dropping `users` would cascade into every row that refers to it.
        let rebuildsTables: Bool
        let sql: String
        /// The same step in PostgreSQL's dialect; every step after the PostgreSQL baseline has one.
        let postgresql: String?

        init(_ version: Int, rebuildsTables: Bool = false, _ sql: String, postgresql: String? = nil) {
            self.version = version
            self.rebuildsTables = rebuildsTables
            self.sql = sql
            self.postgresql = postgresql
        }
    }

    public static var latestSchemaVersion: Int { migrations.last?.version ?? 0 }

    /// The highest migration applied to this file.
    public var schemaVersion: Int {
        (try? locked {
            try connection.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") { Int($0.int(0)) }.first
        }) ?? 0
    }

    /// Every migration is recorded as applied (read only: no table is created when it is missing).
    func isMigrated() throws -> Bool {
        let hasTable = try connection.integer(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") == 1
        guard hasTable else { return false }
        let applied = Set(try connection.query("SELECT version FROM schema_migrations", []) { Int($0.int(0)) })
        return Store.migrations.allSatisfy { applied.contains($0.version) }
    }

    /// Applies the missing migrations, each in its own transaction. Safe to run again,
    /// and from two processes at once (the second waits, then finds nothing to do). A
    /// database whose schema is newer than this binary is refused before anything runs.
    public func migrate() throws {
        try locked {
            switch dialect {
            case .sqlite: try migrateSQLite()
            case .postgresql: try migratePostgreSQL()
            }
        }
    }

    private func refuseNewerSchema() throws {
        let version = try connection.integer("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        guard version <= Store.latestSchemaVersion else {
            throw StoreError.invalid(
                "the database's schema is version \(version), newer than this gatehouse knows (\(Store.latestSchemaVersion)): "
                    + "run the gatehouse that migrated it, or a newer one")
        }
    }

    private func isApplied(_ version: Int) throws -> Bool {
        try !connection.query("SELECT 1 FROM schema_migrations WHERE version = ?", [.int(Int64(version))]) { _ in true }.isEmpty
    }

    private func recordApplied(_ version: Int) throws {
        try connection.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                           [.int(Int64(version)), .int(Store.now())])
    }

    private func migrateSQLite() throws {
        // What every worker finds at its start: nothing to do, and nothing written, so a
        // worker starts while another process holds the write lock or the file is read-only.
        if try isMigrated() { return try refuseNewerSchema() }
        try connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
        try refuseNewerSchema()
        for migration in Store.migrations {
            if migration.rebuildsTables { try connection.execute("PRAGMA foreign_keys = OFF") }
            defer { if migration.rebuildsTables { try? connection.execute("PRAGMA foreign_keys = ON") } }
            try connection.transaction {
                if try isApplied(migration.version) { return }
                do { try connection.execute(migration.sql) } catch let error where Store.isUniqueViolation(error) {
                    throw StoreError.invalid(
                        "migration \(migration.version): two usernames differ only in case; usernames are now "
                            + "case-insensitive, so delete or re-create one of them with the previous version first")
                }
                if migration.rebuildsTables {
                    let broken = try connection.query("PRAGMA foreign_key_check", []) { $0.text(0) }
                    guard broken.isEmpty else {
                        throw StoreError.invalid("migration \(migration.version): foreign keys broken in \(broken[0])")
                    }
                }
                try recordApplied(migration.version)
            }
        }
    }

    /// A new PostgreSQL database starts at the baseline (the SQLite steps up to it, at once);
    /// later steps run in PostgreSQL's form. Nodes starting together take turns: an advisory lock.
    private func migratePostgreSQL() throws {
        _ = try connection.query("SELECT pg_advisory_lock(?)", [.int(Store.migrationLock)]) { _ in 0 }
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(?)", [.int(Store.migrationLock)]) { _ in 0 } }
        try connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        try refuseNewerSchema()
        try connection.transaction {
            if try isApplied(Store.postgreSQLBaseline.version) { return }
            try connection.execute(Store.postgreSQLBaseline.sql)
            for version in 1...Store.postgreSQLBaseline.version { try recordApplied(version) }
        }
        for migration in Store.migrations where migration.version > Store.postgreSQLBaseline.version {
            guard let sql = migration.postgresql else {
                throw StoreError.invalid("migration \(migration.version) has no PostgreSQL form")
            }
            try connection.transaction {
                if try isApplied(migration.version) { return }
                try connection.execute(sql)
                try recordApplied(migration.version)
            }
        }
    }

    /// The key of the advisory lock `migrate` holds on PostgreSQL ("gatehous" in ASCII).
    static let migrationLock: Int64 = 0x6761_7465_686F_7573
}
