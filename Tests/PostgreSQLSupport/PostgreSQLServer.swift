import Foundation
#if canImport(XCTest)
import XCTest
#endif

/// A private PostgreSQL for the tests: `initdb` into a temporary folder (as the `postgres`
/// user when the tests run as root, since PostgreSQL refuses root), its socket in that
/// folder, no TCP. Started on first use when GH_TEST_STORE=postgresql and stopped by PID
/// (SIGINT, a fast shutdown) when the test run ends. Each test gets a database of its own.
public final class PostgreSQLServer {
    /// Whether this run puts the stores of the tests in PostgreSQL.
    public static var enabled: Bool { ProcessInfo.processInfo.environment["GH_TEST_STORE"] == "postgresql" }

    nonisolated(unsafe) private static var running: PostgreSQLServer?
    private static let lock = NSLock()

    public let directory: String
    private var process = Process()
    private var databases = 0

    public static func shared() throws -> PostgreSQLServer {
        lock.lock()
        defer { lock.unlock() }
        if let running { return running }
        let server = try PostgreSQLServer.start()
        #if canImport(XCTest)
        XCTestObservationCenter.shared.addTestObserver(StopAtTheEnd(server))
        #endif
        running = server
        return server
    }

    private init(directory: String) throws {
        self.directory = directory
        let data = directory + "/data"
        try PostgreSQLServer.run(PostgreSQLServer.binary("initdb"),
                                 ["-D", data, "-U", "gatehouse", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        try launch()
    }

    private func launch() throws {
        let log = directory + "/postgres.log"
        if !FileManager.default.fileExists(atPath: log) { FileManager.default.createFile(atPath: log, contents: nil) }
        process = Process()
        (process.executableURL, process.arguments) = PostgreSQLServer.asServerUser(PostgreSQLServer.binary("postgres"), [
            "-D", directory + "/data", "-k", directory, "-c", "listen_addresses=", "-c", "fsync=off",
            "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200",
            "-c", "logging_collector=off",
        ])
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let handle = FileHandle(forWritingAtPath: log)
        handle?.seekToEndOfFile()
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: directory + "/.s.PGSQL.5432") || !acceptsConnections() {
            guard process.isRunning, Date() < deadline else {
                throw NSError(domain: "PostgreSQLServer", code: 1, userInfo: [NSLocalizedDescriptionKey:
                    "postgres did not start: " + ((try? String(contentsOfFile: directory + "/postgres.log", encoding: .utf8)) ?? "")])
            }
            usleep(50_000)
        }
    }

    private static func start() throws -> PostgreSQLServer {
        let template = NSTemporaryDirectory() + "gh-pg-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard mkdtemp(&bytes) != nil else { throw NSError(domain: "PostgreSQLServer", code: 2) }
        let directory = String(cString: bytes)
        if getuid() == 0, let account = getpwnam("postgres") {
            chown(directory, account.pointee.pw_uid, account.pointee.pw_gid)
        }
        return try PostgreSQLServer(directory: directory)
    }

    private func acceptsConnections() -> Bool {
        (try? PostgreSQLServer.run(PostgreSQLServer.binary("pg_isready"), ["-q", "-h", directory, "-U", "gatehouse"], asServer: false)) != nil
    }

    public func url(database: String) -> String { "postgresql:///\(database)?host=\(directory)&user=gatehouse" }

    /// A new, empty database; its connection string.
    public func createDatabase() throws -> String {
        PostgreSQLServer.lock.lock()
        databases += 1
        let name = "t\(databases)_\(getpid())"
        PostgreSQLServer.lock.unlock()
        try PostgreSQLServer.run(PostgreSQLServer.binary("createdb"), ["-h", directory, "-U", "gatehouse", name], asServer: false)
        return url(database: name)
    }

    /// Runs SQL as the superuser with psql; its output.
    @discardableResult
    public func psql(_ database: String, _ sql: String) throws -> String {
        try PostgreSQLServer.run(PostgreSQLServer.binary("psql"),
                                 ["-h", directory, "-U", "gatehouse", "-d", database, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
                                 asServer: false)
    }

    public func stop() {
        shutDown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stopped (a fast shutdown: every connection is cut), then `whileDown`, then started again
    /// on the same data.
    public func restart(whileDown: () throws -> Void = {}) throws {
        shutDown()
        var failure: (any Error)?
        do { try whileDown() } catch { failure = error }
        try launch()
        if let failure { throw failure }
    }

    private func shutDown() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
    }

    static func binary(_ name: String) -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        return versions.last.map { "\(root)/\($0)/bin/\(name)" } ?? name
    }

    /// PostgreSQL will not run as root: as root, the command runs as `postgres` (setpriv execs,
    /// so the PID is the server's own).
    static func asServerUser(_ binary: String, _ arguments: [String]) -> (URL, [String]) {
        guard getuid() == 0 else { return (URL(fileURLWithPath: binary), arguments) }
        return (URL(fileURLWithPath: "/usr/bin/setpriv"),
                ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", binary] + arguments)
    }

    @discardableResult
    static func run(_ binary: String, _ arguments: [String], asServer: Bool = true) throws -> String {
        let process = Process()
        (process.executableURL, process.arguments) =
            asServer ? asServerUser(binary, arguments) : (URL(fileURLWithPath: binary), arguments)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "PostgreSQLServer", code: 3, userInfo: [NSLocalizedDescriptionKey: "\(binary) failed: \(text)"])
        }
        return text
    }
}


#if canImport(XCTest)
/// Stops the server when the test run ends. (A release build, which builds this target too,
/// has no XCTest.)
final class StopAtTheEnd: NSObject, XCTestObservation {
    let server: PostgreSQLServer
    init(_ server: PostgreSQLServer) { self.server = server }
    func testBundleDidFinish(_ testBundle: Bundle) { server.stop() }
}
#endif
