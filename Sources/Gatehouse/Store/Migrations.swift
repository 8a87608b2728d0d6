/// The schema, as numbered steps. A step, once released, never changes: add a new one.
extension Store {
    static let migrations: [(version: Int, sql: String)] = [
        (1, """
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
    ]

    public static var latestSchemaVersion: Int { migrations.last?.version ?? 0 }

    /// The highest migration applied to this file.
    public var schemaVersion: Int {
        (try? locked {
            try connection.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") { Int($0.int(0)) }.first
        }) ?? 0
    }

    /// Applies the missing migrations, each in its own transaction. Safe to run again,
    /// and from two processes at once (the second waits, then finds nothing to do).
    public func migrate() throws {
        try locked {
            try connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
            for migration in Store.migrations {
                try connection.transaction {
                    let applied = try connection.query(
                        "SELECT 1 FROM schema_migrations WHERE version = ?", [.int(Int64(migration.version))]) { _ in true }
                    if !applied.isEmpty { return }
                    try connection.execute(migration.sql)
                    try connection.run(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                        [.int(Int64(migration.version)), .int(Store.now())])
                }
            }
        }
    }
}
