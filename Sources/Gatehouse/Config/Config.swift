import Foundation

/// Gatehouse's settings: a `key = value` file named by `--config`, then `GATEHOUSE_<KEY>`
/// environment variables over it. Unknown keys and bad values stop the start with a
/// message that names the key.
public struct Config: Sendable {
    // Serving
    public var listen = "unix:/run/gatehouse/gatehouse.sock"
    public var workers = 0  // 0: one per core
    public var socketMode: UInt32 = 0o660
    public var socketOwner: String? = nil
    /// A second pool of workers, on their own socket, that nginx sends `POST /token` to:
    /// password hashing there cannot hold cheap requests behind it.
    public var loginPool = true
    public var loginListen: String? = nil  // default: derived from listen (loginListenAddress)
    public var loginWorkers = 0  // 0: one per core
    /// Added to the login workers' niceness, so the main workers win the CPU when both want it.
    public var loginNice = 10
    public var maxBodySize = 1 << 20
    public var logLevel = "info"
    public var demo = false

    // Store and files
    public var dataDir = "/var/lib/gatehouse"
    public var database: String? = nil  // default: <data_dir>/gatehouse.sqlite3

    // Tokens
    public var secretKey: String? = nil
    public var secretKeyFile: String? = nil  // default: <data_dir>/secret_key
    public var jwtAlgorithm = "HS256"
    public var jwtKeyID: String? = nil
    public var jwtPrivateKeyFile: String? = nil
    /// Extra verification keys: `kid:ALG:/path/key.pem`, comma-separated.
    public var jwtVerifyKeys: [String] = []
    public var accessTokenExpireMinutes = 30
    public var jwtLeeway = 0
    public var jwtAudience: String? = nil
    public var jwtIssuer: String? = nil
    public var maxTokenLength = 8192

    // Passwords
    public var passwordMinLength = 8
    public var argon2MemoryKiB = 65536
    public var argon2TimeCost = 3
    public var argon2Parallelism = 4

    // Schemes
    public var basicRealm: String? = nil
    public var basicCacheSeconds = 60
    public var apiKeyHeader = "X-API-Key"
    public var apiKeyQuery = "api_key"
    public var apiKeyCookie = "api_key"

    // OAuth2 scopes offered, in order, with their descriptions (`scope.NAME = description`).
    public var scopes: [(name: String, description: String)] = []

    // CORS (Starlette CORSMiddleware's arguments); off while allow_origins and the regex are empty.
    public var corsAllowOrigins: [String] = []
    public var corsAllowOriginRegex: String? = nil
    public var corsAllowMethods: [String] = ["GET"]
    public var corsAllowHeaders: [String] = []
    public var corsAllowCredentials = false
    public var corsExposeHeaders: [String] = []
    public var corsMaxAge = 600
    public var corsAllowPrivateNetwork = false

    public init() {}

    public var databasePath: String { database ?? dataDir + "/gatehouse.sqlite3" }
    public var secretKeyPath: String { secretKeyFile ?? dataDir + "/secret_key" }
    public var workerCount: Int { workers > 0 ? workers : max(1, ProcessInfo.processInfo.activeProcessorCount) }
    public var loginWorkerCount: Int { loginWorkers > 0 ? loginWorkers : max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `login_listen`, or next to `listen`: `unix:/dir/name.sock` gives `unix:/dir/name-login.sock`,
    /// `host:port` gives `host:port+1`.
    public func loginListenAddress() throws(ConfigError) -> String {
        if let loginListen {
            guard loginListen != listen else { throw ConfigError("login_listen: must differ from listen ('\(listen)')") }
            return loginListen
        }
        if listen.hasPrefix("unix:") {
            return listen.hasSuffix(".sock") ? String(listen.dropLast(5)) + "-login.sock" : listen + "-login"
        }
        guard let colon = listen.lastIndex(of: ":"), let port = UInt16(listen[listen.index(after: colon)...]), port < UInt16.max else {
            throw ConfigError("login_listen: cannot be derived from listen '\(listen)'; set it")
        }
        return listen[...colon] + String(port + 1)
    }

    /// The demo's scopes, as FastAPI's tutorial005 declares them.
    public static let demoScopes: [(name: String, description: String)] = [
        ("me", "Read information about the current user."),
        ("items", "Read items."),
    ]
}

public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Config {
    /// Reads the file (when given) and then the environment.
    public static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigError) -> Config
    {
        var config = Config()
        var scopesFromFile: [(String, String)] = []
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ConfigError("config file \(file): cannot be read")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ConfigError("config file \(file): not UTF-8 text")
            }
            for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = rawLine.trimmingWhitespace()
                if line.isEmpty || line.hasPrefix("#") { continue }
                guard let eq = line.firstIndex(of: "=") else {
                    throw ConfigError("config file \(file), line \(number + 1): expected 'key = value'")
                }
                let key = line[..<eq].trimmingWhitespace()
                var value = line[line.index(after: eq)...].trimmingWhitespace()
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                    value = String(value.dropFirst().dropLast())
                }
                if key.hasPrefix("scope.") {
                    let name = String(key.dropFirst("scope.".count))
                    guard Config.isScopeToken(name) else {
                        throw ConfigError("config key '\(key)': a scope name is printable ASCII without spaces or quotes")
                    }
                    scopesFromFile.append((name, value))
                    continue
                }
                try config.set(key, value, source: "config key '\(key)' (\(file):\(number + 1))")
            }
        }
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("GATEHOUSE_") {
            let key = name.dropFirst("GATEHOUSE_".count).lowercased()
            if Config.ignoredEnvironment.contains(key) { continue }
            try config.set(key, value, source: "environment variable \(name)")
        }
        config.scopes = scopesFromFile.isEmpty && config.demo ? Config.demoScopes : scopesFromFile
        return config
    }

    /// Environment variables with the prefix that are not settings (the tests' and tools' own;
    /// GATEHOUSE_CONFIG names the config file where no --config can be given: CGI, spawn-fcgi).
    static let ignoredEnvironment: Set<String> = ["venv", "bin", "test_python", "test_verbose", "config", "keep_tmp"]

    static func isScopeToken(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" }
    }

    mutating func set(_ key: String, _ value: String, source: String) throws(ConfigError) {
        func bad(_ expected: String) -> ConfigError { ConfigError("\(source): \(expected), got '\(value)'") }
        func int(_ range: ClosedRange<Int>) throws(ConfigError) -> Int {
            guard let n = Int(value), range.contains(n) else {
                throw bad("expected an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }
        func bool() throws(ConfigError) -> Bool {
            switch value.lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: throw bad("expected true or false")
            }
        }
        func list() -> [String] {
            value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map(String.init)
        }
        func optional() -> String? { value.isEmpty ? nil : value }

        switch key {
        case "listen":
            guard !value.isEmpty else { throw bad("expected unix:/path or host:port") }
            listen = value
        case "workers": workers = try int(0...256)
        case "socket_mode":
            guard let m = UInt32(value, radix: 8), m <= 0o777 else { throw bad("expected an octal mode such as 0660") }
            socketMode = m
        case "socket_owner": socketOwner = optional()
        case "login_pool": loginPool = try bool()
        case "login_listen":
            guard !value.isEmpty else { throw bad("expected unix:/path or host:port") }
            loginListen = value
        case "login_workers": loginWorkers = try int(0...256)
        case "login_nice": loginNice = try int(0...19)
        case "max_body_size": maxBodySize = try int(1...(1 << 30))
        case "log_level":
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else {
                throw bad("expected one of trace, debug, info, notice, warning, error, critical")
            }
            logLevel = value
        case "demo": demo = try bool()
        case "data_dir":
            guard value.hasPrefix("/") || value.hasPrefix(".") else { throw bad("expected a path") }
            dataDir = value
        case "database": database = optional()
        case "secret_key":
            guard value.utf8.count >= 32 else { throw bad("expected at least 32 bytes of secret") }
            secretKey = value
        case "secret_key_file": secretKeyFile = optional()
        case "jwt_algorithm":
            guard Config.jwtAlgorithms.contains(value) else {
                throw bad("expected one of \(Config.jwtAlgorithms.joined(separator: ", "))")
            }
            jwtAlgorithm = value
        case "jwt_key_id": jwtKeyID = optional()
        case "jwt_private_key_file": jwtPrivateKeyFile = optional()
        case "jwt_verify_keys":
            let keys = list()
            for k in keys where k.split(separator: ":", maxSplits: 2).count != 3 {
                throw bad("expected kid:ALG:/path/key.pem entries")
            }
            jwtVerifyKeys = keys
        case "access_token_expire_minutes": accessTokenExpireMinutes = try int(1...(60 * 24 * 366))
        case "jwt_leeway": jwtLeeway = try int(0...3600)
        case "jwt_audience": jwtAudience = optional()
        case "jwt_issuer": jwtIssuer = optional()
        case "max_token_length": maxTokenLength = try int(256...(1 << 20))
        case "password_min_length": passwordMinLength = try int(1...1024)
        case "argon2_memory_kib": argon2MemoryKiB = try int(8...(4 << 20))
        case "argon2_time_cost": argon2TimeCost = try int(1...100)
        case "argon2_parallelism": argon2Parallelism = try int(1...64)
        case "basic_realm": basicRealm = optional()
        case "basic_cache_seconds": basicCacheSeconds = try int(0...3600)
        case "api_key_header":
            guard Config.isScopeToken(value) else { throw bad("expected a header name") }
            apiKeyHeader = value
        case "api_key_query":
            guard !value.isEmpty else { throw bad("expected a query parameter name") }
            apiKeyQuery = value
        case "api_key_cookie":
            guard !value.isEmpty else { throw bad("expected a cookie name") }
            apiKeyCookie = value
        case "cors_allow_origins": corsAllowOrigins = list()
        case "cors_allow_origin_regex": corsAllowOriginRegex = optional()
        case "cors_allow_methods": corsAllowMethods = list().map { $0 == "*" ? $0 : $0.uppercased() }
        case "cors_allow_headers": corsAllowHeaders = list()
        case "cors_allow_credentials": corsAllowCredentials = try bool()
        case "cors_expose_headers": corsExposeHeaders = list()
        case "cors_max_age": corsMaxAge = try int(0...(1 << 30))
        case "cors_allow_private_network": corsAllowPrivateNetwork = try bool()
        default:
            throw ConfigError("\(source): unknown setting '\(key)'")
        }
    }

    public static let jwtAlgorithms = [
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
    ]
}
