import Foundation
import XCTest
@testable import Gatehouse

/// The built `gatehouse` binary, run as an operator would, against a fresh data folder.
final class CLITests: XCTestCase {
    fileprivate static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    var dataDir: String!
    var root: String!

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "gatehouse-cli-\(UUID().uuidString)"
        dataDir = root + "/data"
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    struct Result: Equatable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `gatehouse args…` with only our GATEHOUSE_* settings (cheap Argon2 parameters).
    @discardableResult
    func gatehouse(_ args: String..., stdin: String? = nil, environment extra: [String: String] = [:]) throws -> Result {
        try run(args, stdin: stdin, environment: extra)
    }

    func run(_ args: [String], stdin: String? = nil, environment extra: [String: String] = [:]) throws -> Result {
        let binary = ProcessInfo.processInfo.environment["GH_BIN"] ?? Self.packageRoot + "/.build/debug/gatehouse"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            XCTFail("no gatehouse binary at \(binary): run `swift build` or set GH_BIN")
            throw CLIFailure()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = args
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GATEHOUSE_") }
        environment["GATEHOUSE_DATA_DIR"] = dataDir
        environment["GATEHOUSE_ARGON2_MEMORY_KIB"] = "1024"
        environment["GATEHOUSE_ARGON2_TIME_COST"] = "1"
        environment["GATEHOUSE_ARGON2_PARALLELISM"] = "1"
        environment.merge(extra) { $1 }
        process.environment = environment
        let input = Pipe(), output = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                      stderr: String(decoding: err, as: UTF8.self))
    }

    func ok(_ stdout: String) -> Result { Result(status: 0, stdout: stdout, stderr: "") }
    func error(_ message: String) -> Result { Result(status: 1, stdout: "", stderr: "Error: \(message)\n") }

    func store() throws -> Store { try Store.open(path: dataDir + "/gatehouse.sqlite3") }

    var cheapHasher: PasswordHasher {
        var config = Config()
        config.argon2MemoryKiB = 1024
        config.argon2TimeCost = 1
        config.argon2Parallelism = 1
        return PasswordHasher(config: config)
    }

    let bcryptHash = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm"

    func testMigrateCreatesPrivateDatabase() throws {
        XCTAssertEqual(try gatehouse("migrate"), ok("\(dataDir!)/gatehouse.sqlite3: schema version \(Store.latestSchemaVersion)\n"))
        XCTAssertEqual(try gatehouse("migrate"), ok("\(dataDir!)/gatehouse.sqlite3: schema version \(Store.latestSchemaVersion)\n"))
        let attributes = try FileManager.default.attributesOfItem(atPath: dataDir + "/gatehouse.sqlite3")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let folder = try FileManager.default.attributesOfItem(atPath: dataDir)
        XCTAssertEqual((folder[.posixPermissions] as? NSNumber)?.intValue, 0o700)
    }

    func testAddShowListAndPasswordFromStdin() throws {
        XCTAssertEqual(
            try gatehouse("user", "add", "alice", "--email", "alice@example.com", "--full-name", "Alice Liddell",
                          "--scopes", "me,items", "--password-stdin", stdin: " wonder land \n"),
            ok("created user 'alice' (id 1)\n"))
        let alice = try XCTUnwrap(try store().user(named: "alice"))
        XCTAssertTrue(alice.passwordHash.hasPrefix("$argon2id$v=19$m=1024,t=1,p=1$"))
        XCTAssertTrue(cheapHasher.verify(" wonder land ", hash: alice.passwordHash), "only the newline is stripped")
        XCTAssertEqual(alice.scopes, ["me", "items"])

        XCTAssertEqual(try gatehouse("user", "add", "bob", "--password-hash", bcryptHash, "--disabled"),
                       ok("created user 'bob' (id 2)\n"))
        XCTAssertEqual(try gatehouse("user", "list"), ok("""
            ID  USERNAME  STATUS    SCOPES    ROLES
            1   alice     active    me,items  
            2   bob       disabled            

            """))
        let show = try gatehouse("user", "show", "alice")
        XCTAssertEqual(show.status, 0)
        XCTAssertTrue(show.stdout.hasPrefix("""
            username:          alice
            id:                1
            email:             alice@example.com
            full name:         Alice Liddell
            status:            active
            scopes:            me items
            roles:             
            permissions:       
            password:          argon2id

            """), show.stdout)
        XCTAssertFalse(show.stdout.contains("$argon2"), "the hash is never printed")
        let bob = try gatehouse("user", "show", "bob")
        XCTAssertTrue(bob.stdout.contains("password:          bcrypt (rehashed at next login)\n"), bob.stdout)
        XCTAssertTrue(bob.stdout.contains("status:            disabled\n"))
        XCTAssertFalse(bob.stdout.contains(bcryptHash))
    }

    func testCRLFLineEndingIsStripped() throws {
        XCTAssertEqual(try gatehouse("user", "add", "carol", "--password-stdin", stdin: "password1\r\nsecond line\n").status, 0)
        let hash = try XCTUnwrap(try store().user(named: "carol")).passwordHash
        XCTAssertTrue(cheapHasher.verify("password1", hash: hash))
    }

    func testAddErrors() throws {
        XCTAssertEqual(try gatehouse("user", "add", "alice", "--password-stdin", stdin: "password1\n").status, 0)
        XCTAssertEqual(try gatehouse("user", "add", "alice", "--password-stdin", stdin: "password2\n"),
                       error("user 'alice' already exists"))
        XCTAssertEqual(try gatehouse("user", "add", "dave", "--password-stdin", stdin: "short\n"),
                       error("the password is too short: at least 8 characters are required"))
        XCTAssertEqual(try gatehouse("user", "add", "dave", "--password-stdin", stdin: "\n"), error("the password is empty"))
        XCTAssertEqual(try gatehouse("user", "add", "dave", "--password-stdin", stdin: ""), error("no password on standard input"))
        XCTAssertEqual(try gatehouse("user", "add", "dave", "--password-hash", "$argon2id$v=19$m=4194305,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA"),
                       error("--password-hash: its cost (m=4194305, t=1, p=1) is above what Gatehouse verifies: m ≤ 4096, t ≤ 4, p ≤ 16 (argon2_max_memory_kib, argon2_max_time_cost, argon2_max_parallelism)"))
        XCTAssertEqual(try gatehouse("user", "add", "dave", "--password-hash", "plaintext"),
                       error("--password-hash: not an Argon2 or bcrypt PHC string"))
        XCTAssertEqual(try gatehouse("user", "add", "x' OR '1'='1", "--password-hash", bcryptHash),
                       error("invalid username 'x' OR '1'='1': use 1 to 64 characters among A-Z a-z 0-9 . _ @ + -"))
        XCTAssertEqual(try gatehouse("user", "add", "evil\u{1B}[2J", "--password-hash", bcryptHash),
                       error("invalid username 'evil\\u{1b}[2J': use 1 to 64 characters among A-Z a-z 0-9 . _ @ + -"))
        XCTAssertEqual(try gatehouse("user", "add", "dave", "--password-hash", bcryptHash, "--scopes", "a\"b"),
                       error("invalid scope 'a\"b': printable ASCII without spaces, quotes or backslashes"))
        // Neither or both password sources: a usage error (64).
        let neither = try gatehouse("user", "add", "dave")
        XCTAssertEqual(neither.status, 64)
        XCTAssertTrue(neither.stderr.hasPrefix("Error: give exactly one of --password-stdin and --password-hash\n"), neither.stderr)
        XCTAssertEqual(try gatehouse("user", "add", "dave", "--password-stdin", "--password-hash", bcryptHash, stdin: "password1\n").status, 64)
        XCTAssertEqual(try store().countUsers(), 1, "no failed add wrote anything")
    }

    func testUnknownUserAndRole() throws {
        XCTAssertEqual(try gatehouse("user", "show", "nobody"), error("no user named 'nobody'"))
        XCTAssertEqual(try gatehouse("user", "delete", "nobody"), error("no user named 'nobody'"))
        XCTAssertEqual(try gatehouse("user", "disable", "nobody"), error("no user named 'nobody'"))
        XCTAssertEqual(try gatehouse("user", "grant", "nobody", "me"), error("no user named 'nobody'"))
        XCTAssertEqual(try gatehouse("user", "set-password", "nobody", "--password-stdin", stdin: "password1\n"),
                       error("no user named 'nobody'"))
        XCTAssertEqual(try gatehouse("user", "add", "alice", "--password-hash", bcryptHash).status, 0)
        XCTAssertEqual(try gatehouse("user", "grant-role", "alice", "ghost"), error("no role named 'ghost'"))
        XCTAssertEqual(try gatehouse("role", "delete", "ghost"), error("no role named 'ghost'"))
        XCTAssertEqual(try gatehouse("role", "grant", "ghost", "x"), error("no role named 'ghost'"))
    }

    func testDisableEnableGrantRevokeDelete() throws {
        XCTAssertEqual(try gatehouse("user", "add", "alice", "--password-hash", bcryptHash, "--scopes", "me").status, 0)
        XCTAssertEqual(try gatehouse("user", "disable", "alice"), ok("user 'alice' disabled\n"))
        XCTAssertEqual(try store().user(named: "alice")?.disabled, true)
        XCTAssertEqual(try gatehouse("user", "enable", "alice"), ok("user 'alice' enabled\n"))
        XCTAssertEqual(try store().user(named: "alice")?.disabled, false)

        XCTAssertEqual(try gatehouse("user", "grant", "alice", "items", "me", "admin:all"),
                       ok("scopes of 'alice': me items admin:all\n"))
        XCTAssertEqual(try gatehouse("user", "revoke", "alice", "me", "unheld"), ok("scopes of 'alice': items admin:all\n"))
        XCTAssertEqual(try store().user(named: "alice")?.scopes, ["items", "admin:all"])

        XCTAssertEqual(try gatehouse("user", "set-password", "alice", "--password-stdin", stdin: "new password\n"),
                       ok("password of 'alice' changed\n"))
        let hash = try XCTUnwrap(try store().user(named: "alice")).passwordHash
        XCTAssertTrue(cheapHasher.verify("new password", hash: hash))
        XCTAssertEqual(try gatehouse("user", "set-password", "alice", "--password-stdin", stdin: "weak\n"),
                       error("the password is too short: at least 8 characters are required"))
        XCTAssertEqual(try store().user(named: "alice")?.passwordHash, hash)

        XCTAssertEqual(try gatehouse("user", "delete", "alice"), ok("deleted user 'alice'\n"))
        XCTAssertEqual(try gatehouse("user", "show", "alice"), error("no user named 'alice'"))
        XCTAssertEqual(try gatehouse("user", "list"), ok("ID  USERNAME  STATUS  SCOPES  ROLES\n"))
    }

    func testRoles() throws {
        XCTAssertEqual(try gatehouse("role", "add", "admin", "--permissions", "users:read,users:write"),
                       ok("created role 'admin': users:read users:write\n"))
        XCTAssertEqual(try gatehouse("role", "add", "admin"), error("role 'admin' already exists"))
        XCTAssertEqual(try gatehouse("role", "add", "bad role"),
                       error("invalid role name 'bad role': use 1 to 64 characters among A-Z a-z 0-9 . _ @ + - :"))
        XCTAssertEqual(try gatehouse("role", "add", "reader").status, 0)
        XCTAssertEqual(try gatehouse("role", "grant", "reader", "items:read", "users:read"),
                       ok("permissions of role 'reader': items:read users:read\n"))
        XCTAssertEqual(try gatehouse("role", "revoke", "admin", "users:write"), ok("permissions of role 'admin': users:read\n"))
        XCTAssertEqual(try gatehouse("role", "list"), ok("""
            ROLE    PERMISSIONS
            admin   users:read
            reader  items:read,users:read

            """))

        XCTAssertEqual(try gatehouse("user", "add", "alice", "--password-hash", bcryptHash).status, 0)
        XCTAssertEqual(try gatehouse("user", "grant-role", "alice", "reader"), ok("user 'alice' has role 'reader'\n"))
        XCTAssertEqual(try gatehouse("user", "grant-role", "alice", "admin"), ok("user 'alice' has role 'admin'\n"))
        XCTAssertTrue(try gatehouse("user", "show", "alice").stdout
            .contains("roles:             reader admin\npermissions:       items:read users:read\n"))
        XCTAssertEqual(try gatehouse("user", "revoke-role", "alice", "reader"), ok("role 'reader' revoked from 'alice'\n"))
        XCTAssertEqual(try gatehouse("user", "revoke-role", "alice", "reader"), ok("user 'alice' did not have role 'reader'\n"))
        XCTAssertEqual(try gatehouse("role", "delete", "admin"), ok("deleted role 'admin'\n"))
        XCTAssertEqual(try store().user(named: "alice")?.roles, [])
    }

    func testConfigFileAndBadSettings() throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let other = root + "/elsewhere"
        let file = root + "/gatehouse.conf"
        try "database = \(other)/users.db\npassword_min_length = 12\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try gatehouse("migrate", "--config", file), ok("\(other)/users.db: schema version \(Store.latestSchemaVersion)\n"))
        XCTAssertEqual(try gatehouse("user", "add", "alice", "--password-stdin", "--config", file, stdin: "elevenchars\n"),
                       error("the password is too short: at least 12 characters are required"))
        XCTAssertEqual(try gatehouse("user", "list", "--config", root + "/missing.conf"),
                       error("config file \(root!)/missing.conf: cannot be read"))
        XCTAssertEqual(try gatehouse("user", "list", environment: ["GATEHOUSE_ARGON2_TIME_COST": "0"]),
                       error("environment variable GATEHOUSE_ARGON2_TIME_COST: expected an integer from 1 to 100, got '0'"))
    }

    func testConfigCommands() throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let example = try gatehouse("config", "example")
        XCTAssertEqual(example.status, 0)
        XCTAssertTrue(example.stdout.contains("\n# listen = unix:/run/gatehouse/gatehouse.sock\n"), example.stdout)
        let file = root + "/gatehouse.conf"
        try example.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try gatehouse("config", "check", file), ok("ok\n"))

        try "workers = 3\nlogin_nice = 99\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try gatehouse("config", "check", file),
                       error("config key 'login_nice' (\(file):2): expected an integer from 0 to 19, got '99'"))

        try "workers = 3\nscope.read = Read things.\n".write(toFile: file, atomically: true, encoding: .utf8)
        let secret = "a-secret-that-is-long-enough-for-hs256-0123"
        let shown = try gatehouse("config", "show", "--config", file, environment: ["GATEHOUSE_SECRET_KEY": secret])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        let rows = shown.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        XCTAssertTrue(rows.contains("workers 3 \(file):1"), shown.stdout)
        XCTAssertTrue(rows.contains("secret_key ******** GATEHOUSE_SECRET_KEY"), shown.stdout)
        XCTAssertTrue(rows.contains("data_dir \(dataDir!) GATEHOUSE_DATA_DIR"), shown.stdout)
        XCTAssertTrue(rows.contains("log_level info default"), shown.stdout)
        XCTAssertTrue(rows.contains("scope.read Read things. \(file):2"), shown.stdout)
        XCTAssertFalse(shown.stdout.contains(secret))
        XCTAssertEqual(try gatehouse("config", "show", environment: ["GATEHOUSE_WROKERS": "2"]),
                       error("environment variable GATEHOUSE_WROKERS: unknown setting 'wrokers'"))
    }

    /// Walks the command tree as `--help` lists it, so a new subcommand is covered without a line here.
    func testHelpForEverySubcommand() throws {
        var visited: [[String]] = []
        var pending: [[String]] = [[]]
        while let args = pending.popLast() {
            let process = try run(args + ["--help"])
            XCTAssertEqual(process.status, 0, args.joined(separator: " "))
            XCTAssertTrue(process.stdout.contains("USAGE: gatehouse" + args.map { " " + $0 }.joined()), process.stdout)
            visited.append(args)
            guard let section = process.stdout.components(separatedBy: "SUBCOMMANDS:").dropFirst().first else { continue }
            // A subcommand's line is indented two spaces; its help wraps at a deeper indent.
            for line in section.split(separator: "\n") where line.hasPrefix("  ") && !line.hasPrefix("   ") {
                guard let name = line.split(separator: " ").first, name.allSatisfy({ $0.isLowercase || $0 == "-" }),
                      name != "help" else { continue }
                pending.append(args + [String(name)])
            }
        }
        for expected in [["serve"], ["user", "add"], ["role", "delete"], ["apikey", "revoke"], ["config", "show"], ["migrate"]] {
            XCTAssertTrue(visited.contains(expected), "\(expected) in \(visited)")
        }
        XCTAssertTrue(try gatehouse("user", "add", "--help").stdout.contains("--config <file>"))
    }
}

private struct CLIFailure: Error {}
