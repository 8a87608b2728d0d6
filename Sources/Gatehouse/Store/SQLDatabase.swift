import CPostgreSQL
import CSQLite

/// A value bound to a `?` parameter. SQL text is always a constant; values only ever travel as these.
enum SQLValue {
    case int(Int64)
    case text(String)
    case blob([UInt8])
    case null

    static func optional(_ s: String?) -> SQLValue { s.map(SQLValue.text) ?? .null }
    static func optional(_ n: Int64?) -> SQLValue { n.map(SQLValue.int) ?? .null }
}

enum SQLDialect { case sqlite, postgresql }

/// What the store needs of a database: the same calls, and the same SQL, for SQLite and
/// PostgreSQL. The SQL keeps to what both understand: `?` or `?N` parameters (a parameter
/// first met where its type shows: `user_id = ?3 OR ?3 IS NULL`), INSERT …
/// ON CONFLICT DO NOTHING, RETURNING, a `rowid` column where grant order matters.
protocol SQLDatabase: AnyObject {
    var dialect: SQLDialect { get }
    /// Counts this connection's own writes.
    var localWrites: Int { get }
    /// Runs constant SQL (DDL); never used with values.
    func execute(_ sql: String) throws(StoreError)
    /// Runs a statement that returns no rows; the number of rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [SQLValue]) throws(StoreError) -> Int
    func query<T>(_ sql: String, _ values: [SQLValue], _ read: (SQLRow) -> T) throws(StoreError) -> [T]
    /// The first column of the first row as an integer (0 when there is none).
    func integer(_ sql: String) throws(StoreError) -> Int64
    /// Moves whenever anything was committed, by this connection or any other.
    func changeStamp() throws(StoreError) -> ChangeStamp
    /// Runs `body` in one transaction (nested calls join the outer one); any error rolls back.
    func transaction<T>(_ body: () throws -> T) throws -> T
}

extension SQLDatabase {
    @discardableResult
    func run(_ sql: String) throws(StoreError) -> Int { try run(sql, []) }
    func query<T>(_ sql: String, _ read: (SQLRow) -> T) throws(StoreError) -> [T] { try query(sql, [], read) }

    /// An INSERT … RETURNING id: the new row's id. Counts as a write.
    func insert(_ sql: String, _ values: [SQLValue]) throws -> Int64 {
        var id: Int64 = 0
        try transaction { id = try query(sql, values) { $0.int(0) }.first ?? 0 }
        return id
    }
}

/// One row of a result, read by column index.
struct SQLRow {
    enum Source {
        case sqlite(OpaquePointer)
        /// A PGresult and the row's number, values in text format.
        case postgresql(OpaquePointer, Int32)
    }

    let source: Source
    init(_ source: Source) { self.source = source }

    func isNull(_ i: Int32) -> Bool {
        switch source {
        case let .sqlite(statement): return sqlite3_column_type(statement, i) == SQLITE_NULL
        case let .postgresql(result, row): return PostgreSQLText.pq.getisnull(result, row, i) == 1
        }
    }

    func int(_ i: Int32) -> Int64 {
        switch source {
        case let .sqlite(statement): return sqlite3_column_int64(statement, i)
        case let .postgresql(result, row): return PostgreSQLText.integer(PostgreSQLText.pq.getvalue(result, row, i))
        }
    }

    func optionalInt(_ i: Int32) -> Int64? { isNull(i) ? nil : int(i) }

    func text(_ i: Int32) -> String {
        switch source {
        case let .sqlite(statement):
            guard let p = sqlite3_column_text(statement, i) else { return "" }
            let n = Int(sqlite3_column_bytes(statement, i))
            return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
        case let .postgresql(result, row):
            guard let p = PostgreSQLText.pq.getvalue(result, row, i) else { return "" }
            return String(cString: p)
        }
    }

    func optionalText(_ i: Int32) -> String? { isNull(i) ? nil : text(i) }

    func blob(_ i: Int32) -> [UInt8] {
        switch source {
        case let .sqlite(statement):
            let n = Int(sqlite3_column_bytes(statement, i))
            guard n > 0, let p = sqlite3_column_blob(statement, i) else { return [] }
            return Array(UnsafeRawBufferPointer(start: p, count: n))
        case let .postgresql(result, row):
            let pq = PostgreSQLText.pq
            return PostgreSQLText.bytea(pq.getvalue(result, row, i), count: Int(pq.getlength(result, row, i)))
        }
    }

    func optionalBlob(_ i: Int32) -> [UInt8]? { isNull(i) ? nil : blob(i) }
}

/// What a cache of rows remembers it was filled under.
struct ChangeStamp: Equatable {
    var dataVersion: Int64
    var localWrites: Int
    static let never = ChangeStamp(dataVersion: -1, localWrites: -1)
}
