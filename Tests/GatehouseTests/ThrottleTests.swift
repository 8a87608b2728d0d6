import XCTest
@testable import Gatehouse
import PostgreSQLSupport

/// Throttling through App.handle: /token, HTTP Basic, API keys and /check.
final class ThrottleTests: XCTestCase {
    static let throttled = #"{"detail":"Too many failed login attempts"}"#
    static let incorrect = #"{"detail":"Incorrect username or password"}"#
    /// An address rule of 3 failures (ban 300 s); the username rule is off unless a test sets it.
    static let addressRule = ["throttle_address_max_failures": "3", "throttle_user_max_failures": "0"]

    func hashes(_ body: () -> Void) -> Int {
        let before = PasswordHasher.computations.load(ordering: .relaxed)
        body()
        return PasswordHasher.computations.load(ordering: .relaxed) - before
    }

    func testAnAddressIsRefusedWith429BeforeAnyHashAndLetInAfterTheBan() throws {
        let t = try TestApp(ThrottleTests.addressRule)
        for _ in 0..<3 { XCTAssertResponse(t.login("johndoe", "wrong", from: "192.0.2.1"), 400, ThrottleTests.incorrect) }
        var answer: Response?
        XCTAssertEqual(hashes { answer = t.login("johndoe", "secret", from: "192.0.2.1") }, 0, "no Argon2 for a banned address")
        XCTAssertResponse(try XCTUnwrap(answer), 429, ThrottleTests.throttled, headers: [("retry-after", "300")])
        XCTAssertEqual(t.login("johndoe", "secret", from: "192.0.2.2").status, 200, "another address is not banned")
        t.advance(299)
        XCTAssertResponse(t.login(from: "192.0.2.1"), 429, ThrottleTests.throttled, headers: [("retry-after", "1")])
        t.advance(1)
        XCTAssertEqual(t.login(from: "192.0.2.1").status, 200)
    }

    func testUnknownUsersCountAndCostLikeKnownOnes() throws {
        let t = try TestApp(["throttle_address_max_failures": "3", "throttle_user_max_failures": "3"])
        var known: [Response] = [], unknown: [Response] = []
        let knownHashes = hashes { for i in 0..<4 { known.append(t.login("johndoe", "wrong", from: "192.0.2.\(i)")) } }
        let unknownHashes = hashes { for i in 0..<4 { unknown.append(t.login("nobody", "wrong", from: "198.51.100.\(i)")) } }
        XCTAssertEqual(knownHashes, unknownHashes)
        XCTAssertEqual(knownHashes, 3, "three failures hash, the locked fourth does not")
        XCTAssertEqual(known.map(\.status), unknown.map(\.status))
        XCTAssertEqual(known.map(\.status), [400, 400, 400, 429])
        XCTAssertEqual(known.map { String(decoding: $0.body, as: UTF8.self) }, unknown.map { String(decoding: $0.body, as: UTF8.self) })
        XCTAssertEqual(known.map { $0.headers["retry-after"] }, unknown.map { $0.headers["retry-after"] })
    }

    func testAUsernameBacksOffWhateverTheAddress() throws {
        let t = try TestApp(["throttle_address_max_failures": "0", "throttle_user_max_failures": "3", "throttle_user_ban_seconds": "5"])
        for i in 0..<3 { XCTAssertEqual(t.login("JohnDoe", "wrong", from: "192.0.2.\(i)").status, 400) }
        XCTAssertResponse(t.login(from: "203.0.113.1"), 429, ThrottleTests.throttled, headers: [("retry-after", "1")])
        t.advance(1)
        XCTAssertEqual(t.login("johndoe", "wrong", from: "203.0.113.2").status, 400)
        XCTAssertEqual(t.login(from: "203.0.113.3").headers["retry-after"], "2")
        XCTAssertEqual(t.login("alice", "secretalice", from: "203.0.113.3").status, 200, "other users are not locked")
        t.advance(2)
        XCTAssertEqual(t.login(from: "203.0.113.3").status, 200, "the owner gets in when the short lock ends")
    }

    func testBasicAndAPIKeyFailuresAreThrottledOnAPIRoutes() throws {
        let t = try TestApp(ThrottleTests.addressRule)
        let basic = [("Authorization", TestApp.basic("johndoe", "wrong"))]
        for _ in 0..<3 { XCTAssertEqual(t.request("GET", "/users/me/", headers: basic, from: "192.0.2.9").status, 401) }
        XCTAssertResponse(
            t.request("GET", "/users/me/", headers: [("Authorization", TestApp.basic("johndoe", "secret"))], from: "192.0.2.9"),
            429, ThrottleTests.throttled, headers: [("retry-after", "300")])

        let keys = [("X-API-Key", "gh_0123456789abcdef_guessguessguessguessguess")]
        for _ in 0..<3 { XCTAssertEqual(t.request("GET", "/users/me/", headers: keys, from: "192.0.2.10").status, 401) }
        XCTAssertResponse(t.request("GET", "/users/me/", headers: keys, from: "192.0.2.10"), 429, ThrottleTests.throttled)
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("Authorization", "Bearer \(try t.token())")], from: "192.0.2.10").status,
                       200, "a valid token is no guess: bearer tokens are not throttled")
    }

    func testCheckAnswers403ThrottledForAuthRequest() throws {
        let t = try TestApp(ThrottleTests.addressRule)
        let wrong = [("Authorization", TestApp.basic("johndoe", "wrong"))]
        for _ in 0..<3 { XCTAssertEqual(t.request("GET", "/check", headers: wrong, from: "192.0.2.3").status, 401) }
        let r = t.request("GET", "/check", headers: [("Authorization", TestApp.basic("johndoe", "secret"))], from: "192.0.2.3")
        XCTAssertResponse(r, 403, ThrottleTests.throttled, headers: [("x-gatehouse-error", "throttled"), ("retry-after", "300")])
    }

    func testSpoofedForwardedForChangesNothingWithoutTrustedProxies() throws {
        let t = try TestApp(ThrottleTests.addressRule)
        for i in 0..<3 {
            XCTAssertEqual(t.login("johndoe", "wrong", from: "192.0.2.4", headers: [("X-Forwarded-For", "10.9.9.\(i)")]).status, 400)
        }
        XCTAssertEqual(t.login(from: "192.0.2.4", headers: [("X-Forwarded-For", "10.9.9.99"), ("X-Real-IP", "10.9.9.98")]).status, 429)
    }

    func testATrustedProxysClientsAreCountedApart() throws {
        let t = try TestApp(ThrottleTests.addressRule.merging(["trusted_proxies": "127.0.0.1"]) { $1 })
        for _ in 0..<3 { XCTAssertEqual(t.login("johndoe", "wrong", from: "127.0.0.1", headers: [("X-Forwarded-For", "198.51.100.1")]).status, 400) }
        XCTAssertEqual(t.login(from: "127.0.0.1", headers: [("X-Forwarded-For", "198.51.100.1")]).status, 429)
        XCTAssertEqual(t.login(from: "127.0.0.1", headers: [("X-Forwarded-For", "198.51.100.2")]).status, 200, "the proxy itself is not banned")
    }

    func testASuccessOnlyReadsTheLedger() throws {
        if PostgreSQLServer.enabled { return try successOnlyReadsTheStoreLedger() }
        let ledger = CountingLedger()
        let t = try TestApp(["throttle_address_max_failures": "5", "throttle_user_max_failures": "5"], failureLedger: ledger)
        XCTAssertEqual(t.login(from: "192.0.2.5").status, 200)
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("Authorization", TestApp.basic("johndoe", "secret"))], from: "192.0.2.5").status, 200)
        XCTAssertEqual(ledger.updates.load(ordering: .relaxed), 0)
        XCTAssertGreaterThan(ledger.reads.load(ordering: .relaxed), 0)
        XCTAssertEqual(t.login("johndoe", "wrong", from: "192.0.2.5").status, 400)
        XCTAssertEqual(ledger.updates.load(ordering: .relaxed), 2, "one failure: the address and the username")
    }

    /// Nodes sharing PostgreSQL keep the ledger in its throttle_failures table.
    func successOnlyReadsTheStoreLedger() throws {
        let t = try TestApp(["throttle_address_max_failures": "5", "throttle_user_max_failures": "5"])
        func rows() throws -> Int64 { try t.app.store.connection.integer("SELECT COUNT(*) FROM throttle_failures") }
        XCTAssertEqual(t.login(from: "192.0.2.5").status, 200)
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("Authorization", TestApp.basic("johndoe", "secret"))], from: "192.0.2.5").status, 200)
        XCTAssertEqual(try rows(), 0)
        XCTAssertEqual(t.login("johndoe", "wrong", from: "192.0.2.5").status, 400)
        XCTAssertEqual(try rows(), 2, "one failure: the address and the username")
    }
}

import Synchronization

final class CountingLedger: FailureLedger {
    let inner = LocalFailureLedger()
    let reads = Atomic<Int>(0)
    let updates = Atomic<Int>(0)

    func record(_ key: UInt64, now: Int64) -> FailureRecord? {
        reads.add(1, ordering: .relaxed)
        return inner.record(key, now: now)
    }

    func update(_ key: UInt64, now: Int64, _ change: (FailureRecord?) -> FailureRecord) {
        updates.add(1, ordering: .relaxed)
        inner.update(key, now: now, change)
    }
}
