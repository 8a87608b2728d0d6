import FoundationEssentials
import Glibc
import Logging

/// Gatehouse's settings as typed values. What each one accepts, its help and whether it
/// needs a restart are declared once, in `Config.settings` (Settings.swift); the values
/// below are the defaults.
public struct Config: Sendable {
    // Serving
    public var listen = ListenAddress.unix(path: "/run/gatehouse/gatehouse.sock")
    public var workers = 0  // 0: one per core
    public var socketMode: UInt32 = 0o660
    public var socketOwner: String? = nil
    /// A second pool of workers, on their own socket, that nginx sends `POST /token` to:
    /// password hashing there cannot hold cheap requests behind it.
    public var loginPool = true
    public var loginListen: ListenAddress? = nil  // default: derived from listen (loginListenAddress)
    public var loginWorkers = 0  // 0: one per core
    /// Added to the login workers' niceness, so the main workers win the CPU when both want it.
    public var loginNice = 10
    public var maxBodySize = 1 << 20
    public var socketTimeoutSeconds = 30
    public var logLevel = Logger.Level.info
    public var logFormat = LogFormat.text
    /// One line per request: method, route, status, duration, user id, request id.
    public var accessLog = false
    /// Who may read GET /metrics: loopback by default.
    public var metricsAllow: [CIDR] = [CIDR("127.0.0.0/8")!, CIDR("::1")!]
    public var demo = false

    // Store and files
    public var dataDir = "/var/lib/gatehouse"
    public var database: String? = nil  // default: <data_dir>/gatehouse.sqlite3
    public var databaseBusyTimeoutMs = Store.defaultBusyTimeout
    public var databasePasswordFile: String? = nil
    public var databaseFreshness = DatabaseFreshness.everyRequest

    // Tokens
    public var secretKey: String? = nil
    public var secretKeyFile: String? = nil  // default: <data_dir>/secret_key
    public var jwtAlgorithm = JWSAlgorithm.HS256
    public var jwtKeyID: String? = nil
    public var jwtPrivateKeyFile: String? = nil
    public var jwtVerifyKeys: [JWTVerifyKey] = []
    public var accessTokenExpireMinutes = 30
    public var jwtLeeway = 0
    public var jwtAudience: String? = nil
    public var jwtIssuer: String? = nil
    public var maxTokenLength = 8192
    /// The longest lifetime (exp ahead of now) of any token Gatehouse verifies.
    public var maxTokenLifetimeMinutes = 1440

    // The gate (/check) and the sign-in page
    public var allowedRedirectHosts: [String] = []
    /// nginx may cache an allowed decision this long (X-Accel-Expires); 0: never.
    public var checkCacheSeconds = 0
    public var identityHeaders = IdentityHeaderStyle.gatehouse
    public var identityAssertion = false
    public var identityAssertionKeyFile: String? = nil  // default: <data_dir>/identity_key.pem
    public var identityAssertionIssuer = "gatehouse"
    public var identityAssertionAudience = "upstream"
    public var identityAssertionSeconds = 60

    // Sessions
    public var sessionLifetimeDays = 30
    public var sessionIdleMinutes = 10080
    public var refreshTokens = RefreshTokenPolicy.offlineAccess

    // Two-factor sign-in
    public var totpIssuer = "Gatehouse"
    public var totpKeyFile: String? = nil  // default: <data_dir>/totp_key
    public var pendingSignInSeconds = 300
    public var refreshTokenReuseGraceSeconds = 10

    // Passwords
    public var passwordMinLength = 8
    public var argon2MemoryKiB = 65536
    public var argon2TimeCost = 3
    public var argon2Parallelism = 4
    /// Bounds of stored hashes Gatehouse will verify (0: 4x the parameters above).
    public var argon2MaxMemoryKiB = 0
    public var argon2MaxTimeCost = 0
    public var argon2MaxParallelism = 0
    /// tutorial005 gives a disabled user a token (that opens nothing); this refuses the login instead.
    public var refuseDisabledLogin = false

    // Schemes
    public var basicRealm: String? = nil
    public var basicCacheSeconds = 60
    /// Password hashes the main pool runs at once (Basic cache misses; a /token sent there).
    public var maxConcurrentHashes = 1
    public var apiKeyHeader = "X-API-Key"
    public var apiKeyQuery = "api_key"
    public var apiKeyCookie = "api_key"

    /// The `scope.NAME = description` entries, in order.
    public var declaredScopes: [(name: String, description: String)] = []

    // CORS (Starlette CORSMiddleware's arguments); off while allow_origins and the regex are empty.
    public var corsAllowOrigins: [String] = []
    public var corsAllowOriginRegex: String? = nil
    public var corsAllowMethods: [String] = ["GET"]
    public var corsAllowHeaders: [String] = []
    public var corsAllowCredentials = false
    public var corsExposeHeaders: [String] = []
    public var corsMaxAge = 600
    public var corsAllowPrivateNetwork = false
    public var corsReflectAnyOriginWithCredentials = false

    // Throttling and the audit trail
    public var throttleAddressMaxFailures = 5
    public var throttleAddressWindowSeconds = 120
    public var throttleAddressBanSeconds = 300
    public var throttleUserMaxFailures = 5
    public var throttleUserWindowSeconds = 120
    /// The longest of the username's back-off locks.
    public var throttleUserBanSeconds = 300
    /// Senders whose X-Forwarded-For / X-Real-IP name the client.
    public var trustedProxies: [CIDR] = []
    public var auditRetentionDays = 90

    // Self-service accounts and mail
    public var registration = RegistrationMode.closed
    /// What a registered account holds: never anything the request asks for.
    public var registrationScopes = ["me"]
    public var requireVerifiedEmail = false
    public var verifyTokenMinutes = 1440
    public var resetTokenMinutes = 60
    public var inviteTokenDays = 7
    public var accountRequestsPerAddress = 10
    public var accountRequestsWindowSeconds = 3600
    /// Where the account pages are (links in mail start here); never the request's Host.
    public var publicURL: String? = nil
    public var mailTransport = MailTransportKind.none
    public var mailFrom: String? = nil
    public var mailFromName: String? = nil
    public var smtpURL: String? = nil
    public var smtpStartTLS = true
    public var smtpUser: String? = nil
    public var smtpPasswordFile: String? = nil
    public var smtpCAFile: String? = nil
    public var sendmailPath = "/usr/sbin/sendmail"
    public var mailDir: String? = nil  // default: <data_dir>/mail
    public var mailTemplatesDir: String? = nil
    public var accountTokenKeyFile: String? = nil  // default: <data_dir>/account_token_key
    public var mailMaxAttempts = 8
    public var mailRetrySeconds = 60
    public var mailKeepSentDays = 30

    // Privileges
    public var user: String? = nil
    public var group: String? = nil

    /// Where each setting that is not at its default came from, by key.
    public var origins: [String: SettingOrigin] = [:]

    public init() {}

    /// The OAuth2 scopes offered, in order: the declared ones, else the demo's when `demo` is on.
    public var scopes: [(name: String, description: String)] {
        get { declaredScopes.isEmpty && demo ? Config.demoScopes : declaredScopes }
        set { declaredScopes = newValue }
    }

    public var databasePath: String { database ?? dataDir + "/gatehouse.sqlite3" }
    /// `database = postgresql://…` (or `postgres://…`): the store is PostgreSQL.
    public var databaseIsPostgreSQL: Bool {
        guard let database else { return false }
        return database.hasPrefix("postgresql://") || database.hasPrefix("postgres://")
    }

    /// The PostgreSQL password from `database_password_file`, when set (a 0600 file).
    public func databasePassword() throws(ConfigError) -> String? {
        guard let databasePasswordFile else { return nil }
        return String(decoding: try SecretFile.read(path: databasePasswordFile), as: UTF8.self)
    }
    public var secretKeyPath: String { secretKeyFile ?? dataDir + "/secret_key" }
    public var totpKeyPath: String { totpKeyFile ?? dataDir + "/totp_key" }
    public var workerCount: Int { workers > 0 ? workers : max(1, ProcessInfo.processInfo.activeProcessorCount) }
    public var loginWorkerCount: Int { loginWorkers > 0 ? loginWorkers : max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `login_listen`, or next to `listen`: `unix:/dir/name.sock` gives `unix:/dir/name-login.sock`,
    /// `host:port` gives `host:port+1`.
    public func loginListenAddress() throws(ConfigError) -> ListenAddress {
        if let loginListen {
            guard loginListen != listen else { throw ConfigError("login_listen: must differ from listen ('\(listen)')") }
            return loginListen
        }
        switch listen {
        case .unix(let path):
            return .unix(path: path.hasSuffix(".sock") ? String(path.dropLast(5)) + "-login.sock" : path + "-login")
        case .tcp(let host, let port):
            guard port < UInt16.max else {
                throw ConfigError("login_listen: cannot be derived from listen '\(listen)'; set it")
            }
            return .tcp(host: host, port: port + 1)
        }
    }

    public var mailPath: String { mailDir ?? dataDir + "/mail" }
    /// The key that derives a queued message's token from its nonce (0600, generated when missing).
    public var accountTokenKeyPath: String { accountTokenKeyFile ?? dataDir + "/account_token_key" }
    /// The routes that send mail exist only when something delivers it.
    public var sendsMail: Bool { mailTransport != .none }

    public var identityAssertionKeyPath: String { identityAssertionKeyFile ?? dataDir + "/identity_key.pem" }
    public var sessionLifetime: Int64 { Int64(sessionLifetimeDays) * 86400 }
    public var sessionIdle: Int64 { Int64(sessionIdleMinutes) * 60 }

    /// The demo's scopes, as FastAPI's tutorial005 declares them.
    public static let demoScopes: [(name: String, description: String)] = [
        ("me", "Read information about the current user."),
        ("items", "Read items."),
    ]

    static func isScopeToken(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" }
    }
}

/// When a login gets a refresh token.
public enum RefreshTokenPolicy: String, Sendable, CaseIterable {
    case never
    /// When the login asks for the scope `offline_access` (OpenID Connect's convention).
    case offlineAccess = "offline_access"
    case always
}

/// Who may create an account with `POST /register`.
public enum RegistrationMode: String, Sendable, CaseIterable {
    /// Nobody: the route does not exist.
    case closed
    case open
    /// Whoever holds a single-use invite code (`gatehouse invite create`, `POST /invites`).
    case invite
}

/// How the master delivers the outbox.
public enum MailTransportKind: String, Sendable, CaseIterable {
    /// Nothing is sent: the routes that mail (verification, password reset) do not exist.
    case none
    /// SMTP through libcurl (smtp_url: smtp:// with STARTTLS, or smtps://).
    case smtp
    /// The system's `sendmail -t`: whatever MTA is installed.
    case sendmail
    /// One .eml file a message in mail_dir, for development.
    case file
}

/// The names of /check's identity headers.
public enum IdentityHeaderStyle: String, Sendable, CaseIterable {
    /// X-Gatehouse-User, -User-Id, -Email, -Name, -Scopes, -Roles, -Session.
    case gatehouse
    /// Authelia's Remote-User, Remote-Groups (the roles), Remote-Email, Remote-Name.
    case authelia
}
