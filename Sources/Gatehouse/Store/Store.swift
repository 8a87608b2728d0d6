import CSQLite
import FoundationEssentials
import Glibc

public enum StoreError: Error, Equatable, CustomStringConvertible, Sendable {
    case duplicate(String)
    case notFound(String)
    /// A value the store refuses before any SQL runs (a username, scope or role name).
    case invalid(String)
    case sqlite(code: Int32, message: String)
    case postgresql(state: String, message: String)
    /// The database cannot be reached (PostgreSQL down, connection lost): try again later.
    case unavailable(String)

    public var description: String {
        switch self {
        case let .duplicate(what): return "\(what) already exists"
        case let .notFound(what): return "\(what) not found"
        case let .invalid(why): return why
        case let .sqlite(code, message): return "database error \(code): \(message)"
        case let .postgresql(state, message): return "database error \(state): \(message)"
        case let .unavailable(why): return "database unavailable: \(why)"
        }
    }

    /// The database cannot take the request now (disk full, read-only, locked past the busy
    /// timeout, an I/O error, PostgreSQL unreachable or out of resources): it may succeed
    /// later, so it is a 503, never a 500.
    public var isUnavailable: Bool {
        switch self {
        case .unavailable:
            return true
        case let .sqlite(code, _):
            return [SQLITE_FULL, SQLITE_READONLY, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_CANTOPEN].contains(code & 0xff)
        case let .postgresql(state, _):
            // 08 connection, 53 resources (disk full, memory, connections), 57P operator (shutdown),
            // 25006 read-only transaction, 55P03 lock not available, 57014 statement timeout.
            return state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P")
                || ["25006", "55P03", "57014"].contains(state)
        default:
            return false
        }
    }
}

/// Users, roles, keys, sessions and the audit trail: in one SQLite file, or in PostgreSQL
/// for several nodes. One connection; every call is serialised by a lock so the store can be
/// shared, though each worker owns its own.
public final class Store {
    /// The connection, made (and the schema migrated) at its first use when the store was
    /// opened deferred: a CGI request that never reads the store never opens it.
    var connection: any SQLDatabase {
        get throws(StoreError) {
            if let opened { return opened }
            do throws(StoreError) {
                let fresh = try connect()
                opened = fresh
                do { try migrate() } catch {
                    opened = nil
                    throw (error as? StoreError) ?? .invalid("\(error)")
                }
                return fresh
            } catch where deferred && !error.isUnavailable {
                // Met while answering a request: the request cannot be served (503), and the
                // reason is for the log, never for the client.
                throw .unavailable("cannot open \(path): \(error)")
            }
        }
    }
    private var opened: (any SQLDatabase)?
    private let connect: () throws(StoreError) -> any SQLDatabase
    private let deferred: Bool
    let dialect: SQLDialect
    private let lock = RecursiveLock()
    var usersByName = RowCache<String, User>()
    var usersByID = RowCache<Int64, User>()
    var sessions = RowCache<String, Session>()
    var apiKeys = RowCache<String, APIKeyRecord>()
    var roles = RowCache<String, Role>()
    /// Within a request, the change stamp read by its first lookup: one `PRAGMA data_version`
    /// per request instead of one per lookup. Its own writes still count (they move localWrites).
    private var requestStamp: ChangeStamp?
    private var inRequest = false
    public let path: String

    /// `deferred`: connect at the first use instead of now.
    private init(path: String, dialect: SQLDialect, deferred: Bool,
                 connect: @escaping () throws(StoreError) -> any SQLDatabase) throws(StoreError) {
        self.path = path
        self.dialect = dialect
        self.connect = connect
        self.deferred = deferred
        if !deferred { _ = try connection }
    }

    /// Opens (creating the folder 0700 and the file 0600 when missing) and migrates.
    /// `busyTimeout`: how long a write waits for another connection's lock before SQLITE_BUSY.
    public static func open(path: String, busyTimeout milliseconds: Int = Store.defaultBusyTimeout,
                            deferred: Bool = false) throws -> Store {
        try Store(path: path, dialect: .sqlite, deferred: deferred) { () throws(StoreError) in
            let directory = FilePath.directory(of: path)
            if !directory.isEmpty { try makeDirectory(directory) }
            if !FilePath.exists(path) {
                let fd = Glibc.open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
                if fd < 0, errno != EEXIST {
                    throw StoreError.sqlite(code: SQLITE_CANTOPEN, message: "cannot create \(path): \(errorText())")
                }
                if fd >= 0 { close(fd) }
            }
            return try SQLiteConnection(path: path, busyTimeout: milliseconds)
        }
    }

    /// Connects and migrates. `url` is a libpq connection string (`postgresql://…`, or
    /// `postgresql:///gatehouse?host=/run/postgresql`); it and the password stay out of every message.
    public static func open(postgresql url: String, password: String?,
                            freshness: DatabaseFreshness = .everyRequest, deferred: Bool = false) throws -> Store {
        try Store(path: PostgreSQLText.redacted(url), dialect: .postgresql, deferred: deferred) { () throws(StoreError) in
            try PostgreSQLConnection(url: url, password: password, freshness: freshness)
        }
    }

    /// The store the configuration names; `deferred`: connected at its first use (a CGI request).
    public static func open(config: Config, deferred: Bool = false) throws -> Store {
        guard config.databaseIsPostgreSQL else {
            return try open(path: config.databasePath, busyTimeout: config.databaseBusyTimeoutMs, deferred: deferred)
        }
        return try open(postgresql: config.databasePath, password: try config.databasePassword(),
                        freshness: config.databaseFreshness, deferred: deferred)
    }

    public var isPostgreSQL: Bool { dialect == .postgresql }

    private static func makeDirectory(_ directory: String) throws(StoreError) {
        if let problem = FilePath.makeDirectories(directory) {
            throw StoreError.sqlite(code: SQLITE_CANTOPEN, message: problem)
        }
    }

    /// Around one request: what other connections commit meanwhile counts from the next one.
    public func beginRequest() {
        locked {
            inRequest = true
            requestStamp = nil
        }
    }

    public func endRequest() {
        locked {
            inRequest = false
            requestStamp = nil
        }
    }

    /// The stamp the row caches are checked against.
    func currentStamp() throws(StoreError) -> ChangeStamp {
        if inRequest, let requestStamp, try requestStamp.localWrites == connection.localWrites { return requestStamp }
        let stamp = try connection.changeStamp()
        if inRequest { requestStamp = stamp }
        return stamp
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Runs `body` in one transaction: all of its writes happen, or none.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try locked { try connection.transaction(body) }
    }

    public static let defaultBusyTimeout = 5000

    /// Runs a write that only records a use (a session's or a key's last use): when the
    /// database cannot take it, the request goes on without it.
    func bestEffort(_ write: () throws -> Void) throws {
        do { try write() } catch let error as StoreError where error.isUnavailable {}
    }

    public static func now() -> Int64 { unixTime() }

    /// 1–64 characters of `A–Z a–z 0–9 . _ @ + -`: what a username may be, everywhere.
    public static func validUsername(_ name: String) -> Bool {
        let bytes = name.utf8
        return (1...64).contains(bytes.count) && bytes.allSatisfy(isNameByte)
    }

    /// Role names follow the username rule, plus `:` (`users:admin`).
    public static func validRoleName(_ name: String) -> Bool {
        let bytes = name.utf8
        return (1...64).contains(bytes.count) && bytes.allSatisfy { isNameByte($0) || $0 == UInt8(ascii: ":") }
    }

    /// Scopes and permissions: OAuth2 scope-tokens (RFC 6749 §3.3), at most 128 bytes.
    public static func validScope(_ scope: String) -> Bool {
        scope.utf8.count <= 128 && Config.isScopeToken(scope)
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "@"),
            UInt8(ascii: "+"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    static func checkUsername(_ name: String) throws(StoreError) {
        guard validUsername(name) else {
            throw .invalid("invalid username: use 1 to 64 characters among A-Z a-z 0-9 . _ @ + -")
        }
    }

    static func checkRoleName(_ name: String) throws(StoreError) {
        guard validRoleName(name) else {
            throw .invalid("invalid role name: use 1 to 64 characters among A-Z a-z 0-9 . _ @ + - :")
        }
    }

    static func checkScopes(_ scopes: [String], kind: String = "scope") throws(StoreError) {
        for scope in scopes where !validScope(scope) {
            throw .invalid("invalid \(kind) '\(scope.prefix(128))': printable ASCII without spaces, quotes or backslashes")
        }
    }

    static func joinList(_ items: [String]) -> String { items.joined(separator: " ") }
    static func splitList(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }

    /// The items without repeats, first occurrence kept.
    static func unique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }

    static func isUniqueViolation(_ error: any Error) -> Bool {
        switch error as? StoreError {
        case let .sqlite(code, _)?: return code == constraintUnique || code == constraintPrimaryKey
        case let .postgresql(state, _)?: return state == "23505"
        default: return false
        }
    }

    // Extended result codes (sqlite3.h macros that Swift does not import).
    static let constraintPrimaryKey = SQLITE_CONSTRAINT | (6 << 8)
    static let constraintUnique = SQLITE_CONSTRAINT | (8 << 8)
}
