import CSQLite

/// `gatehouse migrate --from sqlite:… --to postgresql://…`: every row of an SQLite store
/// copied into an empty PostgreSQL one, in one transaction, ids kept, then counted on both
/// sides. Tables and columns are read from the target's schema, so a step added to both
/// dialects is copied without a change here.
extension Store {
    public struct CopiedTable: Equatable, Sendable {
        public var table: String
        public var source: Int64
        public var target: Int64
    }

    /// Parents before children; tables not named here follow, in name order.
    static let copyOrder = ["users", "roles", "user_roles", "api_keys", "sessions", "refresh_tokens", "audit"]
    static let notCopied: Set<String> = ["schema_migrations", "throttle_failures"]

    public func copy(into target: Store) throws -> [CopiedTable] {
        guard dialect == .sqlite, target.dialect == .postgresql else {
            throw StoreError.invalid("copying goes from an SQLite store to a PostgreSQL one")
        }
        guard schemaVersion == target.schemaVersion else {
            throw StoreError.invalid("schema versions differ: \(schemaVersion) here, \(target.schemaVersion) there")
        }
        let tables = try target.copiedTables()
        return try locked {
            try target.transaction {
                for table in tables {
                    guard try target.connection.integer("SELECT COUNT(*) FROM \(table.name)") == 0 else {
                        throw StoreError.invalid("the PostgreSQL store is not empty: \(table.name) has rows")
                    }
                }
                for table in tables { try copyRows(of: table, into: target) }
                return try tables.map { table in
                    CopiedTable(table: table.name, source: try connection.integer("SELECT COUNT(*) FROM \(table.name)"),
                                target: try target.connection.integer("SELECT COUNT(*) FROM \(table.name)"))
                }
            }
        }
    }

    struct CopiedTableShape {
        var name: String
        var columns: [String]
        /// Identity columns given explicit values: their sequences move past the copied ids.
        var identities: [String]
    }

    /// The target's tables and the columns to copy (identity columns PostgreSQL generates
    /// ALWAYS, like `rowid`, are left out: copying in the source's rowid order keeps the order).
    func copiedTables() throws -> [CopiedTableShape] {
        try locked {
            let rows = try connection.query(
                "SELECT table_name, column_name, is_identity, identity_generation FROM information_schema.columns "
                    + "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position", []
            ) { ($0.text(0), $0.text(1), $0.text(2) == "YES", $0.text(3)) }
            var shapes: [String: CopiedTableShape] = [:]
            for (table, column, isIdentity, generation) in rows where !Store.notCopied.contains(table) {
                var shape = shapes[table] ?? CopiedTableShape(name: table, columns: [], identities: [])
                if isIdentity && generation == "ALWAYS" { continue }
                shape.columns.append(column)
                if isIdentity { shape.identities.append(column) }
                shapes[table] = shape
            }
            let known = Store.copyOrder.compactMap { shapes[$0] }
            return known + shapes.values.filter { !Store.copyOrder.contains($0.name) }.sorted { $0.name < $1.name }
        }
    }

    private func copyRows(of table: CopiedTableShape, into target: Store) throws {
        let columns = table.columns.joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: table.columns.count).joined(separator: ", ")
        let rows = try connection.query("SELECT \(columns) FROM \(table.name) ORDER BY rowid", []) { row in
            (0..<Int32(table.columns.count)).map { row.value($0) }
        }
        for values in rows {
            try target.connection.run("INSERT INTO \(table.name) (\(columns)) VALUES (\(placeholders))", values)
        }
        // Past every id SQLite ever handed out, deleted ones too (AUTOINCREMENT's sqlite_sequence):
        // an id is never given twice, whichever store gave it.
        for column in table.identities {
            let handedOut = try connection.query("SELECT seq FROM sqlite_sequence WHERE name = ?", [.text(table.name)]) {
                $0.int(0)
            }.first ?? 0
            let copied = try target.connection.integer("SELECT COALESCE(MAX(\(column)), 0) FROM \(table.name)")
            _ = try target.connection.query("SELECT setval(pg_get_serial_sequence(?, ?), ?, false)",
                                            [.text(table.name), .text(column), .int(max(handedOut, copied) + 1)]) { _ in 0 }
        }
    }
}

extension SQLRow {
    /// The value as SQLite typed it (copying only).
    func value(_ i: Int32) -> SQLValue {
        guard case let .sqlite(statement) = source else { return isNull(i) ? .null : .text(text(i)) }
        switch sqlite3_column_type(statement, i) {
        case SQLITE_INTEGER: return .int(int(i))
        case SQLITE_BLOB: return .blob(blob(i))
        case SQLITE_NULL: return .null
        default: return .text(text(i))
        }
    }
}
