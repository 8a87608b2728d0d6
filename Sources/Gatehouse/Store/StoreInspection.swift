import FoundationEssentials
import Glibc

/// What `gatehouse doctor` reads from a database without changing it (no migration, no
/// WAL switch): SQLite's own integrity check, the migration level, and the newest time any
/// row records (a clock behind it issues tokens "from the past" and ends sessions early).
public struct StoreInspection: Sendable {
    /// `PRAGMA integrity_check`'s rows: `["ok"]` when the file is sound.
    public var integrity: [String]
    public var schemaVersion: Int
    public var newestTime: Int64

    public var isIntact: Bool { integrity == ["ok"] }

    public static func inspect(path: String) throws -> StoreInspection {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.sqlite(code: 14, message: "\(path) does not exist")
        }
        let connection = try SQLiteConnection(path: path, readOnly: true)
        let integrity = try connection.query("PRAGMA integrity_check") { $0.text(0) }
        let version = try connection.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") { Int($0.int(0)) }.first ?? 0
        let newest = try connection.integer("""
            SELECT MAX(t) FROM (SELECT MAX(created_at) AS t FROM users UNION ALL SELECT MAX(last_seen_at) FROM sessions
                                UNION ALL SELECT MAX(time) FROM audit)
            """)
        return StoreInspection(integrity: integrity, schemaVersion: version, newestTime: newest)
    }
}
