import XCTest
@testable import Gatehouse

/// What a login may cost, and what it may store.
final class PasswordHardeningTests: XCTestCase {
    var t: TestApp!
    override func setUpWithError() throws { t = try TestApp() }

    static let bcrypt72 = "$2b$04$xbL09aNWQGWgZ5xTcvyUg.jnInZvTBhQybT8v7N76BduYlut6ek/W"
    static let password72 = String(repeating: "a", count: 36) + String(repeating: "b", count: 36)

    /// F10: bcrypt compares 72 bytes; a longer password proves only those, so it is never rehashed.
    func testALongerPasswordNeverReplacesABcryptHash() throws {
        let carol = try t.app.store.createUser(username: "carol", passwordHash: Self.bcrypt72, scopes: ["me"], now: t.now)
        XCTAssertEqual(t.login("carol", Self.password72 + "attacker-chosen", scope: "me").status, 200)
        XCTAssertEqual(try t.app.store.user(id: carol.id)?.passwordHash, Self.bcrypt72)
        XCTAssertEqual(t.login("carol", Self.password72, scope: "me").status, 200)
        let rehashed = try XCTUnwrap(t.app.store.user(id: carol.id)?.passwordHash)
        XCTAssertTrue(rehashed.hasPrefix("$argon2id$"), "the exact 72 bytes may be rehashed")
        XCTAssertEqual(t.login("carol", Self.password72, scope: "me").status, 200)
        XCTAssertEqual(t.login("carol", Self.password72 + "attacker-chosen", scope: "me").status, 400)
    }

    /// F13: an unknown user costs exactly one hash, as a wrong password does, even on the first request.
    func testAnUnknownUserCostsOneHashLikeAWrongPassword() throws {
        let fresh = try TestApp()
        func cost(_ body: () -> Void) -> Int {
            let before = PasswordHasher.computations.load(ordering: .relaxed)
            body()
            return PasswordHasher.computations.load(ordering: .relaxed) - before
        }
        XCTAssertEqual(cost { XCTAssertEqual(fresh.login("nobody", "secret").status, 400) }, 1)
        XCTAssertEqual(cost { XCTAssertEqual(fresh.login("johndoe", "wrong").status, 400) }, 1)
        XCTAssertEqual(cost { XCTAssertEqual(fresh.request("GET", "/users/me/", headers: [("Authorization", TestApp.basic("nobody", "x"))]).status, 401) }, 1)
        XCTAssertEqual(cost { XCTAssertEqual(fresh.request("GET", "/users/me/", headers: [("Authorization", TestApp.basic("johndoe", "x"))]).status, 401) }, 1)
    }

    /// F17: a stored hash asking for far more than the configured cost is refused before any work.
    func testHashesFarCostlierThanConfiguredAreRefused() throws {
        let hasher = PasswordHasher(config: Config())
        let monster = "$argon2id$v=19$m=1048576,t=32,p=64$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
        XCTAssertFalse(hasher.isWellFormed(monster))
        XCTAssertEqual(hasher.problem(with: monster),
                       "its cost (m=1048576, t=32, p=64) is above what Gatehouse verifies: m ≤ 262144, t ≤ 12, p ≤ 16 (argon2_max_memory_kib, argon2_max_time_cost, argon2_max_parallelism)")
        let before = PasswordHasher.computations.load(ordering: .relaxed)
        XCTAssertFalse(hasher.verify("x", hash: monster))
        XCTAssertEqual(PasswordHasher.computations.load(ordering: .relaxed), before, "no Argon2 run for it")
        XCTAssertNil(hasher.problem(with: "$argon2id$v=19$m=262144,t=12,p=16$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"))
        XCTAssertNotNil(hasher.problem(with: "$argon2id$v=19$m=4294967295,t=4294967295,p=4294967295$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"))
    }
}
