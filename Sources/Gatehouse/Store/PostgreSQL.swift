import CPostgreSQL
import FoundationEssentials
import Glibc

/// How a PostgreSQL node learns that another node changed what its caches hold.
public enum DatabaseFreshness: String, Sendable, CaseIterable {
    /// The change counter is read once a request: one round trip, and a change committed
    /// anywhere before the request began is always seen.
    case everyRequest = "every-request"
    /// LISTEN/NOTIFY alone: no round trip; a change committed elsewhere is seen once its
    /// notification has arrived (it is sent after the commit).
    case notifications
}

/// One PostgreSQL connection through libpq, for many Gatehouse nodes sharing one truth.
///
/// Statements are prepared once per SQL text (`?` rewritten to `$n`); values travel as
/// parameters, text or binary, never in the SQL. Transactions are SERIALIZABLE, as SQLite's
/// single writer is, and are retried on a serialization failure. Every write to a table the
/// caches read moves a sequence and fires a NOTIFY (the schema's triggers); `changeStamp()`,
/// once a request, reads both (or only the notifications: `DatabaseFreshness`), so another
/// node's revocation counts from the next request.
/// A lost connection is reopened at most once a second; meanwhile calls fail fast with
/// `StoreError.unavailable`.
final class PostgreSQLConnection: SQLDatabase {
    let dialect = SQLDialect.postgresql
    private let pq: LibPQ
    private var connection: OpaquePointer
    private let url: String
    private let password: String?
    private var statements: [String: String] = [:]
    private var transactionDepth = 0
    private(set) var localWrites = 0
    /// Notifications seen on the change channel, plus one per reconnection (what happened
    /// while the connection was down is unknown, so every cache starts over).
    private var changes: Int64 = 0
    private var lastReconnectAttempt: Double = 0
    private let freshness: DatabaseFreshness

    static let changeChannel = "gatehouse_changes"
    static let maxAttempts = 3

    init(url: String, password: String?, freshness: DatabaseFreshness) throws(StoreError) {
        self.url = url
        self.password = password
        self.freshness = freshness
        pq = try LibPQ.shared()
        connection = try PostgreSQLConnection.connect(pq, url: url, password: password)
        try listen()
    }

    deinit { pq.finish(connection) }

    /// What may be shown of the connection string: no password, whichever way it was given.
    var displayName: String { PostgreSQLText.redacted(url) }

    private static func connect(_ pq: LibPQ, url: String, password: String?) throws(StoreError) -> OpaquePointer {
        var keys = ["dbname", "fallback_application_name", "connect_timeout"]
        var values = [url, "gatehouse", "3"]
        if let password {
            keys.append("password")
            values.append(password)
        }
        let handle = PostgreSQLText.withCStrings(keys) { k in
            PostgreSQLText.withCStrings(values) { v in pq.connectdbParams(k, v, 1) }
        }
        guard let handle, pq.status(handle) == CONNECTION_OK else {
            let reason = handle.map { PostgreSQLText.message(pq.errorMessage($0)) } ?? "out of memory"
            pq.finish(handle)
            throw StoreError.unavailable("cannot connect to \(PostgreSQLText.redacted(url)): \(reason)")
        }
        pq.setNoticeProcessor(handle, { _, _ in }, nil)
        return handle
    }

    private func listen() throws(StoreError) {
        try execute("SET client_min_messages = warning; LISTEN \(PostgreSQLConnection.changeChannel)")
    }

    private var isConnected: Bool { pq.status(connection) == CONNECTION_OK }

    /// Reopens a lost connection; at most one attempt a second, so a database that is down
    /// costs each request one failed call, not a connect timeout.
    private func reconnect() throws(StoreError) {
        let now = Date().timeIntervalSince1970
        guard now - lastReconnectAttempt >= 1 else { throw .unavailable("the database connection is down") }
        lastReconnectAttempt = now
        pq.reset(connection)
        guard isConnected else { throw .unavailable("cannot reconnect to \(displayName)") }
        statements = [:]
        changes += 1
        try listen()
    }

    /// Outside a transaction, a statement that finds the connection lost is tried once more on
    /// a new one; inside, the transaction fails (its first statements died with the connection).
    private func reconnecting<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        if transactionDepth == 0 && !isConnected { try reconnect() }
        do {
            return try body()
        } catch {
            guard transactionDepth == 0, !isConnected else { throw error }
            try reconnect()
            return try body()
        }
    }

    func execute(_ sql: String) throws(StoreError) {
        localWrites &+= 1
        try reconnecting { () throws(StoreError) in
            let result = pq.exec(connection, sql)
            defer { pq.clear(result) }
            try check(result)
        }
    }

    @discardableResult
    func run(_ sql: String, _ values: [SQLValue]) throws(StoreError) -> Int {
        localWrites &+= 1
        return try reconnecting { () throws(StoreError) in
            let result = try executePrepared(sql, values)
            defer { pq.clear(result) }
            return Int(PostgreSQLText.integer(pq.cmdTuples(result)))
        }
    }

    func query<T>(_ sql: String, _ values: [SQLValue], _ read: (SQLRow) -> T) throws(StoreError) -> [T] {
        // No stored text holds a NUL (PostgreSQL's text cannot), so nothing equals such a value.
        if values.contains(where: \.hasNUL), !sql.hasPrefix("INSERT") { return [] }
        return try reconnecting { () throws(StoreError) in
            let result = try executePrepared(sql, values)
            defer { pq.clear(result) }
            let count = pq.ntuples(result)
            var rows: [T] = []
            rows.reserveCapacity(Int(count))
            for row in 0..<count { rows.append(read(SQLRow(.postgresql(result!, row)))) }
            return rows
        }
    }

    func integer(_ sql: String) throws(StoreError) -> Int64 {
        try query(sql, []) { $0.int(0) }.first ?? 0
    }

    /// The sequence moves inside the writer's transaction, before its commit; the notification
    /// comes after the commit. Reading both means a write committed before this call is always
    /// seen, and one that was committing during it by the next call. Both only grow, so their
    /// weighted sum does too. Without the sequence, a write is seen once its notification is.
    func changeStamp() throws(StoreError) -> ChangeStamp {
        let sequence = freshness == .everyRequest ? try integer("SELECT last_value FROM gatehouse_changes") : 0
        if pq.consumeInput(connection) == 0 { try reconnect() }
        while let notification = pq.notifies(connection) {
            pq.freemem(notification)
            changes += 1
        }
        return ChangeStamp(dataVersion: sequence &* 1_000_003 &+ changes, localWrites: localWrites)
    }

    func transaction<T>(_ body: () throws -> T) throws -> T {
        if transactionDepth > 0 { return try body() }
        var attempt = 1
        while true {
            try execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
            transactionDepth = 1
            do {
                let result = try body()
                transactionDepth = 0
                try execute("COMMIT")
                return result
            } catch {
                transactionDepth = 0
                if isConnected { pq.clear(pq.exec(connection, "ROLLBACK")) }
                guard attempt < PostgreSQLConnection.maxAttempts, PostgreSQLConnection.isRetryable(error) else { throw error }
                attempt += 1
            }
        }
    }

    /// Serialization failures and deadlocks: running the transaction again is the cure. A
    /// connection lost mid-transaction is not retried: its COMMIT may have happened.
    static func isRetryable(_ error: any Error) -> Bool {
        guard case let .postgresql(state, _) = error as? StoreError else { return false }
        return state == "40001" || state == "40P01"
    }

    private func prepared(_ sql: String) throws(StoreError) -> String {
        if let name = statements[sql] { return name }
        let name = "g\(statements.count)"
        let result = pq.prepare(connection, name, PostgreSQLText.numberedParameters(sql), 0, nil)
        defer { pq.clear(result) }
        try check(result)
        statements[sql] = name
        return name
    }

    /// Runs a prepared statement; the caller clears the result.
    private func executePrepared(_ sql: String, _ values: [SQLValue]) throws(StoreError) -> OpaquePointer? {
        let name = try prepared(sql)
        var buffers: [UnsafeMutablePointer<CChar>?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        defer { for buffer in buffers { buffer?.deallocate() } }
        for value in values {
            switch value {
            case let .int(n): buffers.append(PostgreSQLText.copy(Array(String(n).utf8))); formats.append(0)
            case let .text(s):
                guard !value.hasNUL else { throw .invalid("text must not contain NUL characters") }
                buffers.append(PostgreSQLText.copy(Array(s.utf8))); formats.append(0)
            case let .blob(b): buffers.append(PostgreSQLText.copy(b)); formats.append(1)
            case .null: buffers.append(nil); formats.append(0)
            }
            if case let .blob(b) = value { lengths.append(Int32(b.count)) } else { lengths.append(0) }
        }
        let result = buffers.withUnsafeBufferPointer { pointers in
            pointers.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in
                pq.execPrepared(connection, name, Int32(values.count), values.baseAddress, lengths, formats, 0)
            }
        }
        do { try check(result) } catch {
            pq.clear(result)
            throw error
        }
        return result
    }

    private func check(_ result: OpaquePointer?) throws(StoreError) {
        let status = pq.resultStatus(result)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK { return }
        guard isConnected, let result else {
            throw .unavailable("lost the connection to \(displayName)")
        }
        let state = pq.resultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        throw .postgresql(state: state, message: PostgreSQLText.message(pq.resultErrorMessage(result)))
    }
}

extension SQLValue {
    var hasNUL: Bool {
        if case let .text(s) = self { return s.utf8.contains(0) }
        return false
    }
}

/// The text side of libpq: parameters, values and messages.
enum PostgreSQLText {
    /// For rows, which exist only once a connection has loaded the library.
    static var pq: LibPQ {
        guard let library = try? LibPQ.shared() else { preconditionFailure("a PostgreSQL row without libpq") }
        return library
    }

    /// `?` → `$1`, `$2` … in order, and `?N` → `$N`; quoted text and identifiers are left alone.
    static func numberedParameters(_ sql: String) -> String {
        var out = ""
        var next = 0
        var quote: Character?
        var chars = sql.makeIterator()
        var pending = chars.next()
        while let c = pending {
            pending = chars.next()
            if let q = quote {
                out.append(c)
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
                out.append(c)
            } else if c == "?" {
                var digits = ""
                while let d = pending, d.isASCII, d.isNumber {
                    digits.append(d)
                    pending = chars.next()
                }
                if digits.isEmpty {
                    next += 1
                    digits = String(next)
                }
                out += "$" + digits
            } else {
                out.append(c)
            }
        }
        return out
    }

    static func integer(_ text: UnsafePointer<CChar>?) -> Int64 {
        guard let text else { return 0 }
        return strtoll(text, nil, 10)
    }

    /// bytea in the hex output format (`\x0a1b…`), PostgreSQL's default since 9.0.
    static func bytea(_ text: UnsafePointer<CChar>?, count: Int) -> [UInt8] {
        guard let text, count >= 2 else { return [] }
        let raw = UnsafeRawBufferPointer(start: text, count: count)
        guard raw[0] == UInt8(ascii: "\\"), raw[1] == UInt8(ascii: "x") else { return [] }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((count - 2) / 2)
        var i = 2
        while i + 1 < count {
            guard let high = nibble(raw[i]), let low = nibble(raw[i + 1]) else { return [] }
            bytes.append(high << 4 | low)
            i += 2
        }
        return bytes
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// A NUL-terminated copy the caller deallocates.
    static func copy(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar> {
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: bytes.count) }
        }
        buffer[bytes.count] = 0
        return buffer
    }

    static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafePointer<CChar>?] = strings.map { UnsafePointer(strdup($0)) }
        pointers.append(nil)
        defer { for p in pointers { free(UnsafeMutablePointer(mutating: p)) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// libpq's message on one line.
    static func message(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "" }
        return String(cString: text).split(whereSeparator: \.isNewline).map { $0.trimmingUnicodeWhitespace() }
            .joined(separator: " ")
    }

    /// The connection string without its password: `postgresql://u:SECRET@h/db` → `postgresql://u@h/db`,
    /// `password=SECRET` (key/value form or query parameter) dropped.
    static func redacted(_ url: String) -> String {
        var text = Array(url.utf8)
        if let scheme = text.firstRange(of: Array("://".utf8)) {
            let rest = text[scheme.upperBound...]
            let authorityEnd = rest.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: UInt8(ascii: "@")),
               let colon = rest[..<at].firstIndex(of: UInt8(ascii: ":")) {
                text.removeSubrange(colon..<at)
            }
        }
        return String(decoding: redactingPasswordParameters(text), as: UTF8.self)
    }

    /// Every `password = value` (a key/value pair, or a query parameter) as `password=***`; the
    /// value is a quoted `'…'` or runs to the next space or `&`.
    private static func redactingPasswordParameters(_ text: [UInt8]) -> [UInt8] {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        let key = Array("password".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < text.count {
            let startsWord = i == 0 || isSpace(text[i - 1]) || text[i - 1] == UInt8(ascii: "?") || text[i - 1] == UInt8(ascii: "&")
            if startsWord, i + key.count <= text.count,
               zip(text[i..<i + key.count], key).allSatisfy({ $0 | 0x20 == $1 }) {
                var j = i + key.count
                while j < text.count, isSpace(text[j]) { j += 1 }
                if j < text.count, text[j] == UInt8(ascii: "=") {
                    j += 1
                    while j < text.count, isSpace(text[j]) { j += 1 }
                    if j < text.count, text[j] == UInt8(ascii: "'"),
                       let close = text[(j + 1)...].firstIndex(of: UInt8(ascii: "'")) {
                        j = close + 1
                    } else {
                        while j < text.count, !isSpace(text[j]), text[j] != UInt8(ascii: "&") { j += 1 }
                    }
                    out += Array("password=***".utf8)
                    i = j
                    continue
                }
            }
            out.append(text[i])
            i += 1
        }
        return out
    }
}
