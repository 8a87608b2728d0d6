import Foundation
import Gatehouse
import Logging

/// An App as the unit tests' TestApp builds it: a store in a temp folder (removed at exit),
/// cheap Argon2, the fixed HMAC secret, a fixed clock, the demo scopes; johndoe, alice (disabled)
/// and root (role admin), whose passwords and tokens the seed corpus holds.
public enum FuzzApp {
    public static let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("gatehouse-fuzz-\(getpid())").path

    public static let shared: App = {
        let environment = [
            "GATEHOUSE_DATA_DIR": directory, "GATEHOUSE_DEMO": "true",
            "GATEHOUSE_SECRET_KEY": FixedKeys.secret,
            "GATEHOUSE_ARGON2_MEMORY_KIB": "1024", "GATEHOUSE_ARGON2_TIME_COST": "1",
            "GATEHOUSE_ARGON2_PARALLELISM": "1", "GATEHOUSE_PASSWORD_MIN_LENGTH": "6",
            "GATEHOUSE_API_KEY_HEADER": "X-API-Key",
            "GATEHOUSE_CORS_ALLOW_ORIGINS": "https://app.example.com",
            "GATEHOUSE_CORS_ALLOW_CREDENTIALS": "true",
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
            _ = try addUser("johndoe", "secret")
            _ = try addUser("alice", "secretalice", disabled: true)
            let root = try addUser("root", "rootpass")
            _ = try app.store.createRole(name: "admin", permissions: ["users:read", "users:write"], now: FixedKeys.now)
            try app.store.grantRole(userID: root.id, role: "admin")
            atexit { try? FileManager.default.removeItem(atPath: FuzzApp.directory) }
            warmUp(app)
            return app
        } catch {
            fatalError("fuzz app: \(error)")
        }
    }()
}

extension FuzzApp {
    /// A token for root (role admin) that is valid at FixedKeys.now, as the seed corpus holds.
    public static func rootToken(_ app: App) -> String {
        app.keys.issue(claims: [("sub", "root"), ("scope", "me items"), ("exp", .int(1_900_000_000))])
    }

    /// One request per route, so that the lazy globals behind each (models, OpenAPI) exist
    /// before fuzzing starts; the API key is revoked again, users are left as they were.
    static func warmUp(_ app: App) {
        let bearer = ("Authorization", "Bearer \(rootToken(app))")
        for route in app.routes {
            let path = route.path.replacingOccurrences(of: "{user_id:int}", with: "1")
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
