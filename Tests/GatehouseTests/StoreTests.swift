import XCTest
@testable import Gatehouse
import PostgreSQLSupport

final class StoreTests: XCTestCase {
    var directory: String!
    var store: Store!
    var location: String!
    let hash = "$argon2id$v=19$m=1024,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA"

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "gatehouse-store-\(UUID().uuidString)"
        location = try TestStore.location(path: directory + "/data/gatehouse.sqlite3")
        store = try TestStore.open(location)
    }

    override func tearDownWithError() throws {
        store = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    func mode(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
    }

    func testOpenCreatesPrivateFolderAndFile() throws {
        try TestStore.skipUnlessSQLite()
        XCTAssertEqual(try mode(directory + "/data"), 0o700)
        XCTAssertEqual(try mode(directory + "/data/gatehouse.sqlite3"), 0o600)
        try store.createUser(username: "a", passwordHash: hash)
        XCTAssertEqual(try mode(directory + "/data/gatehouse.sqlite3-wal"), 0o600)
    }

    func testMigrationsAreIdempotent() throws {
        XCTAssertEqual(store.schemaVersion, Store.latestSchemaVersion)
        XCTAssertGreaterThanOrEqual(store.schemaVersion, 1)
        try store.createUser(username: "kept", passwordHash: hash)
        try store.migrate()
        try store.migrate()
        store = nil
        let reopened = try TestStore.open(location)
        XCTAssertEqual(reopened.schemaVersion, Store.latestSchemaVersion)
        XCTAssertEqual(try reopened.user(named: "kept")?.username, "kept")
        XCTAssertEqual(try reopened.countUsers(), 1)
        let applied = try reopened.connection.query("SELECT COUNT(*) FROM schema_migrations") { $0.int(0) }
        XCTAssertEqual(applied, [Int64(Store.migrations.count)])
    }

    func testOpenFailsCleanlyWhenFolderIsAFile() throws {
        try TestStore.skipUnlessSQLite()
        XCTAssertTrue(FileManager.default.createFile(atPath: directory + "/plainfile", contents: Data()))
        XCTAssertThrowsError(try Store.open(path: directory + "/plainfile/db.sqlite3"))
    }

    func testUserLookupSeesEveryCommittedChange() throws {
        try store.createUser(username: "carol", passwordHash: "$argon2id$x", scopes: ["me"], now: 1)
        XCTAssertEqual(try store.user(named: "carol")?.scopes, ["me"])  // now remembered
        let id = try XCTUnwrap(store.user(named: "carol")).id
        XCTAssertEqual(try store.user(id: id)?.username, "carol")
        let other = try TestStore.open(location)  // as another worker or the CLI
        var carol = try XCTUnwrap(other.user(named: "carol"))
        carol.disabled = true
        try other.updateUser(carol, now: 2)
        XCTAssertEqual(try store.user(named: "carol")?.disabled, true, "another connection's write")
        var again = try XCTUnwrap(store.user(named: "carol"))
        again.scopes = []
        try store.updateUser(again, now: 3)
        XCTAssertEqual(try store.user(named: "carol")?.scopes, [], "this connection's own write")
        try other.setPasswordHash(userID: carol.id, hash: "$argon2id$y", now: 4)
        XCTAssertEqual(try store.user(named: "carol")?.passwordHash, "$argon2id$y")
        XCTAssertTrue(try other.deleteUser(id: carol.id))
        XCTAssertNil(try store.user(named: "carol"))
        XCTAssertNil(try store.user(id: id))
    }

    func testUserCRUD() throws {
        let created = try store.createUser(
            username: "johndoe", email: "johndoe@example.com", fullName: "John Doe", passwordHash: hash,
            scopes: ["me", "items", "me"], now: 1000)
        XCTAssertEqual(created.scopes, ["me", "items"])
        XCTAssertEqual(created.createdAt, 1000)
        var loaded = try XCTUnwrap(try store.user(named: "johndoe"))
        XCTAssertEqual(loaded, created)
        XCTAssertEqual(try store.user(id: created.id), created)
        XCTAssertEqual(try store.user(named: "JohnDoe"), created, "names compare without case")
        XCTAssertNil(try store.user(id: 999))

        loaded.email = nil
        loaded.fullName = "Johnny"
        loaded.disabled = true
        loaded.scopes = ["items"]
        loaded.passwordHash = "ignored"
        let updated = try store.updateUser(loaded, now: 2000)
        XCTAssertEqual(updated.email, nil)
        XCTAssertEqual(updated.fullName, "Johnny")
        XCTAssertTrue(updated.disabled)
        XCTAssertEqual(updated.scopes, ["items"])
        XCTAssertEqual(updated.passwordHash, hash, "updateUser never touches the hash")
        XCTAssertEqual(updated.updatedAt, 2000)
        XCTAssertEqual(updated.passwordChangedAt, 1000)

        try store.setPasswordHash(userID: created.id, hash: "$2b$04$new", now: 3000)
        let rehashed = try XCTUnwrap(try store.user(id: created.id))
        XCTAssertEqual(rehashed.passwordHash, "$2b$04$new")
        XCTAssertEqual(rehashed.passwordChangedAt, 3000)
        XCTAssertEqual(rehashed.updatedAt, 3000)

        XCTAssertThrowsError(try store.setPasswordHash(userID: 999, hash: hash)) {
            XCTAssertEqual($0 as? StoreError, .notFound("user #999"))
        }
        var ghost = created
        ghost.id = 999
        XCTAssertThrowsError(try store.updateUser(ghost)) {
            XCTAssertEqual($0 as? StoreError, .notFound("user 'johndoe'"))
        }
        XCTAssertTrue(try store.deleteUser(id: created.id))
        XCTAssertFalse(try store.deleteUser(id: created.id))
        XCTAssertNil(try store.user(named: "johndoe"))
    }

    func testDuplicateUsername() throws {
        try store.createUser(username: "alice", passwordHash: hash)
        XCTAssertThrowsError(try store.createUser(username: "alice", passwordHash: "$argon2id$other")) { error in
            XCTAssertEqual(error as? StoreError, .duplicate("user 'alice'"))
            XCTAssertEqual("\(error)", "user 'alice' already exists")
            XCTAssertFalse("\(error)".contains("argon2"))
        }
        XCTAssertEqual(try store.countUsers(), 1)
    }

    func testListAndCount() throws {
        for i in 0..<5 { try store.createUser(username: "u\(i)", passwordHash: hash) }
        XCTAssertEqual(try store.countUsers(), 5)
        XCTAssertEqual(try store.listUsers().map(\.username), ["u0", "u1", "u2", "u3", "u4"])
        XCTAssertEqual(try store.listUsers(offset: 1, limit: 2).map(\.username), ["u1", "u2"])
        XCTAssertEqual(try store.listUsers(offset: 10, limit: 2), [])
        XCTAssertEqual(try store.listUsers(offset: -3, limit: 1).map(\.username), ["u0"])
    }

    func testHostileUsernamesNeverBecomeSQL() throws {
        for name in ["x' OR '1'='1", "alice'; DROP TABLE users; --", "", String(repeating: "a", count: 65), "a b",
                     "a\0b", "a\nb", "é", "../etc"] {
            XCTAssertNil(try store.user(named: name), name)
            XCTAssertThrowsError(try store.createUser(username: name, passwordHash: hash), name) {
                guard case .invalid = $0 as? StoreError else { return XCTFail("\($0)") }
            }
        }
        // Names that look like SQL within the allowed alphabet are plain names.
        for name in ["admin--", "1-1", "a@b.c", "x+y", "_", String(repeating: "z", count: 64)] {
            let user = try store.createUser(username: name, passwordHash: hash)
            XCTAssertEqual(try store.user(named: name)?.id, user.id, name)
        }
        // Free-text fields are stored byte for byte; PostgreSQL's text holds no NUL, so there it is refused.
        let nasty = "'); DROP TABLE users; --" + (PostgreSQLServer.enabled ? "" : "\0tail")
        if PostgreSQLServer.enabled {
            XCTAssertThrowsError(try store.createUser(username: "nul", email: "a\0b", passwordHash: hash)) {
                XCTAssertEqual($0 as? StoreError, .invalid("text must not contain NUL characters"))
            }
        }
        let user = try store.createUser(username: "bobby", email: nasty, fullName: "Robert'); --", passwordHash: hash)
        let loaded = try XCTUnwrap(try store.user(id: user.id))
        XCTAssertEqual(loaded.email, nasty)
        XCTAssertEqual(loaded.fullName, "Robert'); --")
        XCTAssertEqual(try store.countUsers(), 7)
    }

    func testInvalidScopesRefused() throws {
        for scope in ["a b", "", "quo\"te", "back\\slash", "é"] {
            XCTAssertThrowsError(try store.createUser(username: "u", passwordHash: hash, scopes: [scope]), scope)
        }
        XCTAssertEqual(try store.countUsers(), 0)
    }

    func testRolesAndPermissions() throws {
        try store.createRole(name: "admin", permissions: ["users:read", "users:write"], now: 5)
        try store.createRole(name: "reader", permissions: ["items:read", "users:read"])
        XCTAssertThrowsError(try store.createRole(name: "admin")) {
            XCTAssertEqual($0 as? StoreError, .duplicate("role 'admin'"))
        }
        XCTAssertThrowsError(try store.createRole(name: "bad role")) {
            guard case .invalid = $0 as? StoreError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try store.role(named: "admin"), Role(name: "admin", permissions: ["users:read", "users:write"], createdAt: 5))
        XCTAssertNil(try store.role(named: "nobody"))
        XCTAssertEqual(try store.listRoles().map(\.name), ["admin", "reader"])
        XCTAssertEqual(try store.permissions(forRoles: ["reader", "admin", "ghost"]), ["items:read", "users:read", "users:write"])
        XCTAssertEqual(try store.permissions(forRoles: []), [])

        try store.setRolePermissions(name: "reader", permissions: ["items:read"])
        XCTAssertEqual(try store.role(named: "reader")?.permissions, ["items:read"])
        XCTAssertThrowsError(try store.setRolePermissions(name: "ghost", permissions: [])) {
            XCTAssertEqual($0 as? StoreError, .notFound("role 'ghost'"))
        }

        let user = try store.createUser(username: "carol", passwordHash: hash)
        try store.grantRole(userID: user.id, role: "reader")
        try store.grantRole(userID: user.id, role: "admin")
        try store.grantRole(userID: user.id, role: "reader")  // again: no change
        XCTAssertEqual(try store.user(id: user.id)?.roles, ["reader", "admin"])
        XCTAssertThrowsError(try store.grantRole(userID: user.id, role: "ghost")) {
            XCTAssertEqual($0 as? StoreError, .notFound("role 'ghost'"))
        }
        XCTAssertThrowsError(try store.grantRole(userID: 999, role: "admin")) {
            XCTAssertEqual($0 as? StoreError, .notFound("user #999"))
        }
        XCTAssertTrue(try store.revokeRole(userID: user.id, role: "reader"))
        XCTAssertFalse(try store.revokeRole(userID: user.id, role: "reader"))
        XCTAssertEqual(try store.user(id: user.id)?.roles, ["admin"])

        // Deleting a role removes its grants.
        XCTAssertTrue(try store.deleteRole(name: "admin"))
        XCTAssertFalse(try store.deleteRole(name: "admin"))
        XCTAssertEqual(try store.user(id: user.id)?.roles, [])
    }

    func key(_ id: String, userID: Int64, createdAt: Int64 = 100) -> APIKeyRecord {
        APIKeyRecord(id: id, userID: userID, name: "key \(id)", secretHash: [0, 1, 2, 255], scopes: ["me"],
                     createdAt: createdAt, expiresAt: 10_000)
    }

    func testAPIKeys() throws {
        let alice = try store.createUser(username: "alice", passwordHash: hash)
        let bob = try store.createUser(username: "bob", passwordHash: hash)
        try store.insertAPIKey(key("k1", userID: alice.id))
        try store.insertAPIKey(key("k2", userID: alice.id, createdAt: 50))
        try store.insertAPIKey(key("k3", userID: bob.id))
        XCTAssertThrowsError(try store.insertAPIKey(key("k1", userID: bob.id))) {
            XCTAssertEqual($0 as? StoreError, .duplicate("API key 'k1'"))
        }
        XCTAssertThrowsError(try store.insertAPIKey(key("k9", userID: 999))) {
            XCTAssertEqual($0 as? StoreError, .notFound("user #999"))
        }
        XCTAssertEqual(try store.apiKey(id: "k1"), key("k1", userID: alice.id))
        XCTAssertNil(try store.apiKey(id: "k1' OR '1'='1"))
        XCTAssertEqual(try store.listAPIKeys(userID: alice.id).map(\.id), ["k2", "k1"])

        // A user cannot revoke someone else's key; the operator (no user) can.
        XCTAssertFalse(try store.revokeAPIKey(id: "k3", userID: alice.id, now: 200))
        XCTAssertNil(try store.apiKey(id: "k3")?.revokedAt)
        XCTAssertTrue(try store.revokeAPIKey(id: "k1", userID: alice.id, now: 200))
        XCTAssertTrue(try store.revokeAPIKey(id: "k1", userID: alice.id, now: 300))
        XCTAssertEqual(try store.apiKey(id: "k1")?.revokedAt, 200, "the first revocation time is kept")
        XCTAssertTrue(try store.revokeAPIKey(id: "k3", now: 250))
        XCTAssertEqual(try store.apiKey(id: "k3")?.revokedAt, 250)
        XCTAssertFalse(try store.revokeAPIKey(id: "ghost"))

        // Touch writes only when the last use is unset or at least 60 s old.
        XCTAssertTrue(try store.touchAPIKey(id: "k2", now: 1000))
        XCTAssertFalse(try store.touchAPIKey(id: "k2", now: 1059))
        XCTAssertEqual(try store.apiKey(id: "k2")?.lastUsedAt, 1000)
        XCTAssertTrue(try store.touchAPIKey(id: "k2", now: 1060))
        XCTAssertEqual(try store.apiKey(id: "k2")?.lastUsedAt, 1060)
        XCTAssertFalse(try store.touchAPIKey(id: "ghost", now: 1060))
    }

    func testDeletingUserCascades() throws {
        try store.createRole(name: "admin")
        let alice = try store.createUser(username: "alice", passwordHash: hash)
        try store.grantRole(userID: alice.id, role: "admin")
        try store.insertAPIKey(key("k1", userID: alice.id))
        XCTAssertTrue(try store.deleteUser(id: alice.id))
        XCTAssertNil(try store.apiKey(id: "k1"))
        XCTAssertEqual(try store.connection.query("SELECT COUNT(*) FROM user_roles") { $0.int(0) }, [0])
        XCTAssertNotNil(try store.role(named: "admin"))
    }

    func testTransactionRollsBack() throws {
        struct Boom: Error {}
        XCTAssertThrowsError(try store.transaction {
            try store.createUser(username: "temp", passwordHash: hash)
            throw Boom()
        })
        XCTAssertNil(try store.user(named: "temp"))
        try store.transaction {
            try store.createUser(username: "kept", passwordHash: hash)
            try store.createRole(name: "r")
        }
        XCTAssertNotNil(try store.user(named: "kept"))
    }

    func testTwoConnectionsSeeEachOthersWrites() throws {
        let other = try TestStore.open(location)
        try store.createUser(username: "shared", passwordHash: hash)
        XCTAssertNotNil(try other.user(named: "shared"))
        try other.createRole(name: "r2")
        XCTAssertNotNil(try store.role(named: "r2"))
    }

    /// The change stamp skips data_version while the wal-index header has not moved: every
    /// commit by anyone must still move it, here another process's (the sqlite3 shell), a
    /// checkpoint that restarts the WAL, and a run of commits.
    func testTheChangeStampMovesWithEveryCommitOfAnotherProcess() throws {
        try TestStore.skipUnlessSQLite()
        let path = try XCTUnwrap(location)
        let connection = try SQLiteConnection(path: path)
        _ = try connection.query("SELECT COUNT(*) FROM users", []) { $0.int(0) }
        var last = try connection.changeStamp()
        XCTAssertEqual(try connection.changeStamp(), last, "nothing committed")
        func shell(_ sql: String) throws {
            let result = try Subprocess.run("/usr/bin/sqlite3", [path, sql])
            XCTAssertEqual(result.status, 0, String(decoding: result.errors, as: UTF8.self))
        }
        for round in 0..<20 {
            let sql = round == 10 ? "PRAGMA wal_checkpoint(TRUNCATE); INSERT INTO roles (name, permissions, created_at) VALUES ('r\(round)', '', 1)"
                : "INSERT INTO roles (name, permissions, created_at) VALUES ('r\(round)', '', 1)"
            try shell(sql)
            let now = try connection.changeStamp()
            XCTAssertNotEqual(now, last, "round \(round): another process's commit")
            XCTAssertEqual(try connection.changeStamp(), now, "round \(round): and nothing since")
            last = now
        }
        try shell("PRAGMA wal_checkpoint(TRUNCATE)")
        try shell("UPDATE roles SET permissions = 'p' WHERE name = 'r0'")
        XCTAssertNotEqual(try connection.changeStamp(), last, "a commit after the WAL was truncated")
    }
}
