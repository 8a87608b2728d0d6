import CSQLite
import FoundationEssentials
import Glibc

/// One SQLite connection: WAL, a busy timeout, foreign keys on, and a prepared
/// statement cached per SQL text. Not thread-safe by itself; `Store` serialises access.
final class SQLiteConnection: SQLDatabase {
    let dialect = SQLDialect.sqlite
    private let db: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    private var transactionDepth = 0
    /// Counts this connection's own writes: SQLite's data_version only moves for other connections'.
    private(set) var localWrites = 0
    /// In WAL mode: the wal-index header, and what it held when data_version was last read.
    private var walIndex: WALIndexHeader?
    private var isWAL = false
    private var lastVersion: (header: WALIndexHeader.Snapshot, dataVersion: Int64)?

    /// `readOnly` opens an existing file to look at it and changes nothing (no WAL switch).
    init(path: String, busyTimeout: Int = Store.defaultBusyTimeout, readOnly: Bool = false) throws(StoreError) {
        var handle: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw StoreError.sqlite(code: rc, message: "cannot open \(path): \(message)")
        }
        db = handle
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, Int32(clamping: busyTimeout))
        if readOnly { return }
        isWAL = try query("PRAGMA journal_mode = WAL", []) { $0.text(0) }.first == "wal"
        // The -wal and -shm files stay when the last connection closes: a CGI request, often
        // the only connection there is, would otherwise make and remove both every time.
        var persist: Int32 = 1
        sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist)
        try execute("PRAGMA foreign_keys = ON")
        try execute("PRAGMA synchronous = NORMAL")
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(db)
    }

    /// Runs constant SQL (DDL, pragmas); never used with values.
    func execute(_ sql: String) throws(StoreError) {
        localWrites &+= 1
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(error)
            throw StoreError.sqlite(code: rc, message: message)
        }
    }

    /// Runs a statement that returns no rows; the number of rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [SQLValue]) throws(StoreError) -> Int {
        localWrites &+= 1
        let statement = try prepared(sql, values)
        defer { sqlite3_reset(statement); sqlite3_clear_bindings(statement) }
        let rc = sqlite3_step(statement)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else { throw failure(rc) }
        return Int(sqlite3_changes(db))
    }

    func query<T>(_ sql: String, _ values: [SQLValue], _ read: (SQLRow) -> T) throws(StoreError) -> [T] {
        let statement = try prepared(sql, values)
        defer { sqlite3_reset(statement); sqlite3_clear_bindings(statement) }
        var rows: [T] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return rows }
            guard rc == SQLITE_ROW else { throw failure(rc) }
            rows.append(read(SQLRow(.sqlite(statement))))
        }
    }

    /// Changes whenever anything was committed to the file: by another connection (SQLite's
    /// data_version) or by this one (localWrites). What a cache of rows checks before use.
    ///
    /// With WAL, data_version is read only when the wal-index header moved since it was last
    /// read: every commit by anyone rewrites the header, so an unmoved header is an unmoved
    /// data_version, known without a read transaction (two fcntl locks and a statement).
    func changeStamp() throws(StoreError) -> ChangeStamp {
        let header = walIndex?.snapshot()
        if let header, let lastVersion, lastVersion.header == header {
            return ChangeStamp(dataVersion: lastVersion.dataVersion, localWrites: localWrites)
        }
        // The header is taken before the query: a commit in between makes the next look read again.
        let dataVersion = try integer("PRAGMA data_version")
        if isWAL, walIndex == nil { walIndex = WALIndexHeader(db: db) }
        lastVersion = header.map { ($0, dataVersion) }
        return ChangeStamp(dataVersion: dataVersion, localWrites: localWrites)
    }

    /// The first column of the first row as an integer (0 when there is none), with no array
    /// on the way: the change stamp is read on every request.
    func integer(_ sql: String) throws(StoreError) -> Int64 {
        let statement = try prepared(sql, [])
        defer { sqlite3_reset(statement) }
        let rc = sqlite3_step(statement)
        if rc == SQLITE_DONE { return 0 }
        guard rc == SQLITE_ROW else { throw failure(rc) }
        return sqlite3_column_int64(statement, 0)
    }

    /// Runs `body` in one IMMEDIATE transaction (nested calls join the outer one);
    /// any error rolls everything back.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        if transactionDepth > 0 { return try body() }
        try execute("BEGIN IMMEDIATE")
        transactionDepth += 1
        defer { transactionDepth -= 1 }
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func prepared(_ sql: String, _ values: [SQLValue]) throws(StoreError) -> OpaquePointer {
        let statement: OpaquePointer
        if let cached = statements[sql] {
            statement = cached
        } else {
            var fresh: OpaquePointer?
            let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &fresh, nil)
            guard rc == SQLITE_OK, let fresh else { throw failure(rc) }
            statements[sql] = fresh
            statement = fresh
        }
        precondition(Int(sqlite3_bind_parameter_count(statement)) == values.count, "parameter count for: \(sql)")
        for (offset, value) in values.enumerated() {
            let i = Int32(offset + 1)
            let rc: Int32
            switch value {
            case let .int(n): rc = sqlite3_bind_int64(statement, i, n)
            case let .text(s): rc = sqlite3_bind_text(statement, i, s, Int32(s.utf8.count), SQLiteConnection.transient)
            case let .blob(b):
                rc = b.withUnsafeBytes { sqlite3_bind_blob(statement, i, $0.baseAddress, Int32($0.count), SQLiteConnection.transient) }
            case .null: rc = sqlite3_bind_null(statement, i)
            }
            guard rc == SQLITE_OK else { sqlite3_clear_bindings(statement); throw failure(rc) }
        }
        return statement
    }

    private func failure(_ rc: Int32) -> StoreError {
        StoreError.sqlite(code: rc, message: String(cString: sqlite3_errmsg(db)))
    }

    /// SQLITE_TRANSIENT: SQLite copies the bound bytes before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
