import Foundation
import Gatehouse
import Logging

/// An App as the unit tests' TestApp builds it: a store in a temp folder (removed at exit),
/// cheap Argon2, the fixed HMAC secret, a fixed clock, the demo scopes; johndoe, alice (disabled)
/// and root (role admin), whose passwords and API key the seed corpus holds, and tokens for
/// johndoe and root that seeds name as $JOHN, $ROOT and $EXPIRED.
///
/// Inputs change the store (keys issued, users disabled or deleted by root), so every
/// `resetInterval` inputs the App starts again on a fresh store; no state builds up without bound.
public enum FuzzApp {
    public static let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("gatehouse-fuzz-\(getpid())").path
    static let resetInterval = 5000

    nonisolated(unsafe) private static var app: App?
    nonisolated(unsafe) private static var inputs = 0
    nonisolated(unsafe) private static var generation = 0
    /// Tokens of this store's sessions, by the placeholder that seeds write in their place:
    /// a token names a server-side session, so no token can be written into a seed file.
    nonisolated(unsafe) public private(set) static var tokens: [(placeholder: String, token: String)] = []

    /// The App for the next input.
    public static func next() -> App {
        inputs += 1
        if app == nil || inputs % resetInterval == 0 {
            FuzzSetUp.run {
                app = nil
                try? FileManager.default.removeItem(atPath: directory)
                generation += 1
                app = make(dataDir: directory + "/\(generation)")
            }
        }
        return app!
    }

    static func make(dataDir: String) -> App {
        let environment = [
            "GATEHOUSE_DATA_DIR": dataDir, "GATEHOUSE_DEMO": "true",
            "GATEHOUSE_SECRET_KEY": FixedKeys.secret,
            "GATEHOUSE_ARGON2_MEMORY_KIB": "1024", "GATEHOUSE_ARGON2_TIME_COST": "1",
            "GATEHOUSE_ARGON2_PARALLELISM": "1", "GATEHOUSE_PASSWORD_MIN_LENGTH": "6",
            "GATEHOUSE_API_KEY_HEADER": "X-API-Key",
            "GATEHOUSE_CORS_ALLOW_ORIGINS": "https://app.example.com",
            "GATEHOUSE_CORS_ALLOW_CREDENTIALS": "true", "GATEHOUSE_CORS_ALLOW_HEADERS": "Authorization, Content-Type",
            // The self-service routes: registration by invite, and mail queued (never sent here).
            "GATEHOUSE_REGISTRATION": "invite", "GATEHOUSE_MAIL_TRANSPORT": "file",
            "GATEHOUSE_PUBLIC_URL": "https://accounts.example.com", "GATEHOUSE_MAIL_FROM": "noreply@example.com",
            "GATEHOUSE_ACCOUNT_REQUESTS_PER_ADDRESS": "0",
        ]
        do {
            let config = try Config.load(file: nil, environment: environment)
            let store = try Store.open(path: config.databasePath)
            let keys = try JWTKeySet.load(config: config)
            let app = try App(
                config: config, store: store, keys: keys,
                logger: Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }, now: { FixedKeys.now })
            func addUser(_ name: String, _ password: String, disabled: Bool = false) throws -> User {
                try app.store.createUser(
                    username: name, email: "\(name)@example.com", fullName: name.capitalized,
                    passwordHash: try app.hasher.hash(password), disabled: disabled, scopes: ["me", "items"],
                    now: FixedKeys.now)
            }
            let johndoe = try addUser("johndoe", "secret")
            _ = try addUser("alice", "secretalice", disabled: true)
            let root = try addUser("root", "rootpass")
            let permissions = [
                Permissions.readUsers, Permissions.writeUsers, Permissions.manageRoles, Permissions.introspectTokens,
                Permissions.invite,
            ]
            _ = try app.store.createRole(name: "admin", permissions: permissions, now: FixedKeys.now)
            try app.store.grantRole(userID: root.id, role: "admin")
            try app.store.insertAPIKey(APIKeyRecord(
                id: "0123456789abcdef", userID: johndoe.id, name: "seed",
                secretHash: APIKeys.secretHash(String(apiKey.dropFirst(20))), scopes: ["me"], createdAt: FixedKeys.now,
                expiresAt: nil, lastUsedAt: nil, revokedAt: nil))
            // A token carries a permission only when it asked for it, as a scope.
            func token(_ user: User, _ scopes: [String] = ["me", "items"], lifetime: Int64 = 1800) throws -> String {
                let session = try app.store.createSession(
                    userID: user.id, scopes: scopes, clientAddress: "", userAgent: "", now: FixedKeys.now, lifetime: 86400)
                return app.keys.issue(claims: AccessToken.claims(
                    for: user, session: session.id, scopes: scopes, now: FixedKeys.now, lifetime: lifetime,
                    issuer: nil, audience: nil))
            }
            if generation == 1 { atexit { try? FileManager.default.removeItem(atPath: FuzzApp.directory) } }
            // Before the seeds' tokens exist: the warm-up ends the sessions of its own token.
            warmUp(app, token: try token(root, ["me", "items"] + permissions))
            tokens = [
                ("$JOHN", try token(johndoe)), ("$ROOT", try token(root, ["me", "items"] + permissions)), ("$EXPIRED", try token(johndoe, lifetime: -60)),
            ]
            return app
        } catch {
            fatalError("fuzz app: \(error)")
        }
    }
}

extension FuzzApp {
    /// johndoe's API key (scope me), as the seed corpus holds it: id, then 32 bytes 0…31.
    public static let apiKey = "gh_0123456789abcdef_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"

    /// One request per route, so that the lazy globals behind each (models, OpenAPI) exist
    /// before fuzzing starts. Ids that do not exist and empty bodies: nothing is changed.
    static func warmUp(_ app: App, token: String) {
        let bearer = ("Authorization", "Bearer \(token)")
        for route in app.routes {
            let path = route.path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
                guard segment.hasPrefix("{") else { return String(segment) }
                return segment.hasSuffix(":int}") ? "999999" : "0123456789abcdef"
            }.joined(separator: "/")
            let body = route.method == "POST" || route.method == "PATCH" ? Array("{}".utf8) : []
            _ = app.handle(Request(method: route.method, path: path,
                                   headers: Headers([bearer, ("Content-Type", "application/json")]), body: body))
        }
        _ = app.handle(Request(method: "OPTIONS", path: "/users/me/", headers: Headers([
            ("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "GET"),
        ])))
    }
}
