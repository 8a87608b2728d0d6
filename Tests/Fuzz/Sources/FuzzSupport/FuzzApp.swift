import Foundation
import Gatehouse
import Logging

/// An App as the unit tests' TestApp builds it: a store in a temp folder (removed at exit),
/// cheap Argon2, the fixed HMAC secret, a fixed clock, the demo scopes; johndoe, alice (disabled)
/// and root (role admin), whose passwords, tokens and API key the seed corpus holds.
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
            _ = try app.store.createRole(name: "admin", permissions: ["users:read", "users:write"], now: FixedKeys.now)
            try app.store.grantRole(userID: root.id, role: "admin")
            try app.store.insertAPIKey(APIKeyRecord(
                id: "0123456789abcdef", userID: johndoe.id, name: "seed",
                secretHash: APIKeys.secretHash(String(apiKey.dropFirst(20))), scopes: ["me"], createdAt: FixedKeys.now,
                expiresAt: nil, lastUsedAt: nil, revokedAt: nil))
            if generation == 1 { atexit { try? FileManager.default.removeItem(atPath: FuzzApp.directory) } }
            warmUp(app)
            return app
        } catch {
            fatalError("fuzz app: \(error)")
        }
    }
}

extension FuzzApp {
    /// johndoe's API key (scope me), as the seed corpus holds it: id, then 32 bytes 0…31.
    public static let apiKey = "gh_0123456789abcdef_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"

    /// A token for root (role admin) that is valid at FixedKeys.now, as the seed corpus holds.
    public static func rootToken(_ app: App) -> String {
        app.keys.issue(claims: [("sub", "root"), ("scope", "me items"), ("exp", .int(1_900_000_000))])
    }

    /// One request per route, so that the lazy globals behind each (models, OpenAPI) exist
    /// before fuzzing starts. Ids that do not exist and empty bodies: nothing is changed.
    static func warmUp(_ app: App) {
        let bearer = ("Authorization", "Bearer \(rootToken(app))")
        for route in app.routes {
            let path = route.path.replacingOccurrences(of: "{user_id:int}", with: "999999")
                .replacingOccurrences(of: "{key_id}", with: "0123456789abcdef")
            let body = route.method == "POST" || route.method == "PATCH" ? Array("{}".utf8) : []
            _ = app.handle(Request(method: route.method, path: path,
                                   headers: Headers([bearer, ("Content-Type", "application/json")]), body: body))
        }
        _ = app.handle(Request(method: "OPTIONS", path: "/users/me/", headers: Headers([
            ("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "GET"),
        ])))
    }
}
