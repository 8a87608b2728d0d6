import ArgumentParser
import FoundationEssentials
import Glibc
import Gatehouse

/// `--config FILE`, shared by every operator subcommand.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Settings file (key = value); GATEHOUSE_* environment variables override it.", valueName: "file"))
    var config: String?

    func loadConfig() throws -> Config {
        try Config.load(file: config)
    }

    /// Loads the configuration and opens (creating and migrating when needed) the database.
    func openStore() throws -> (Config, Store) {
        let config = try loadConfig()
        return (config, try Store.open(config: config))
    }
}

/// An operator error: printed as "Error: <message>" on stderr, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Store {
    /// The user, or a CommandFailure naming them.
    func requireUser(_ name: String) throws -> User {
        guard Store.validUsername(name) else {
            throw CommandFailure("invalid username '\(CommandText.printable(name))': use 1 to 64 characters among A-Z a-z 0-9 . _ @ + -")
        }
        guard let user = try user(named: name) else { throw CommandFailure("no user named '\(name)'") }
        return user
    }

    /// A row in the audit trail for what the command did; actor `cli:<login name>`. The
    /// command prints its own result, so no log line.
    func auditCommand(_ event: AuditEvent, user: User?, detail: String = "") {
        let login = getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? String(getuid())
        AuditTrail(store: self, logger: nil).record(AuditEntry(
            time: Store.now(), event: event, userID: user?.id, username: user?.username, actor: "cli:" + login, detail: detail))
    }

    func requireRole(_ name: String) throws -> Role {
        guard let role = try role(named: name) else { throw CommandFailure("no role named '\(CommandText.printable(name))'") }
        return role
    }
}

enum CommandText {
    /// Splits `me,items` or `me items` into its parts.
    static func list(_ values: [String]) -> [String] {
        values.flatMap { $0.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init) }
    }

    /// A value safe to echo: control characters escaped, at most 80 characters.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(80) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return text.unicodeScalars.count > 80 ? out + "…" : out
    }

    static func time(_ seconds: Int64) -> String {
        ISOTime.string(seconds)
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// `--password-stdin | --password-hash PHC`, exactly one of them.
struct PasswordOptions: ParsableArguments {
    @Flag(help: "Read the password from standard input.") var passwordStdin = false
    @Option(help: ArgumentHelp("Store this PHC hash as is (argon2id/argon2i/bcrypt).", valueName: "phc")) var passwordHash: String?

    func validate() throws {
        if passwordStdin == (passwordHash != nil) {
            throw ValidationError("give exactly one of --password-stdin and --password-hash")
        }
    }

    func hash(config: Config) throws -> String {
        try PasswordInput.hash(fromStdin: passwordStdin, givenHash: passwordHash, config: config)
    }
}

enum PasswordInput {
    static let maxLineBytes = 4096

    /// One line from standard input without its line ending ("\n" or "\r\n"); nothing else is trimmed.
    static func readLine() throws -> String {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        var sawNewline = false
        while bytes.count <= maxLineBytes {
            let n = read(0, &byte, 1)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            if byte == UInt8(ascii: "\n") { sawNewline = true; break }
            bytes.append(byte)
        }
        if bytes.isEmpty && !sawNewline { throw CommandFailure("no password on standard input") }
        if bytes.count > maxLineBytes { throw CommandFailure("the password line is longer than \(maxLineBytes) bytes") }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard let password = String(validating: bytes, as: UTF8.self) else {
            throw CommandFailure("the password is not valid UTF-8")
        }
        return password
    }

    /// The hash to store: from `--password-hash` (checked) or from a stdin password
    /// (policy-checked, then hashed with the configured Argon2id parameters).
    static func hash(fromStdin: Bool, givenHash: String?, config: Config) throws -> String {
        let hasher = PasswordHasher(config: config)
        if let givenHash {
            if let problem = hasher.problem(with: givenHash) { throw CommandFailure("--password-hash: \(problem)") }
            return givenHash
        }
        precondition(fromStdin)
        let password = try readLine()
        do {
            try PasswordPolicy(minLength: config.passwordMinLength).check(password)
        } catch {
            throw CommandFailure(error.description)
        }
        return try hasher.hash(password)
    }

    /// The scheme of a stored hash, to show instead of the hash itself.
    static func scheme(of hash: String) -> String {
        for prefix in ["$argon2id$", "$argon2i$", "$argon2d$"] where hash.hasPrefix(prefix) {
            return String(prefix.dropFirst().dropLast())
        }
        for prefix in ["$2a$", "$2b$", "$2y$"] where hash.hasPrefix(prefix) { return "bcrypt" }
        return "unknown"
    }
}
