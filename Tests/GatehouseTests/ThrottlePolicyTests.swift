import XCTest
@testable import Gatehouse

/// The rules on their own: the address's hard ban, the username's capped back-off, the ledgers.
final class ThrottlePolicyTests: XCTestCase {
    let policy = ThrottlePolicy(
        address: .init(maxFailures: 5, window: 120, ban: 300), user: .init(maxFailures: 5, window: 120, ban: 300))

    func testAnAddressIsBannedOnItsFifthFailureWithinTheWindow() {
        var record: FailureRecord? = nil
        for second in 0..<4 {
            record = policy.addressFailure(record, now: 1000 + Int64(second))
            XCTAssertNil(ThrottlePolicy.retryAfter(record, now: 1000 + Int64(second)), "failure \(second + 1)")
        }
        record = policy.addressFailure(record, now: 1010)
        XCTAssertEqual(ThrottlePolicy.retryAfter(record, now: 1010), 300)
        XCTAssertEqual(ThrottlePolicy.retryAfter(record, now: 1309), 1)
        XCTAssertNil(ThrottlePolicy.retryAfter(record, now: 1310), "the ban ends")
        XCTAssertEqual(record?.expiresAt, 1310)
    }

    func testAnAddressWindowStartsOverAfterItLapses() {
        var record: FailureRecord? = nil
        for second: Int64 in [0, 1, 2, 3] { record = policy.addressFailure(record, now: 1000 + second) }
        record = policy.addressFailure(record, now: 1000 + 120)  // the window of the first failure is over
        XCTAssertNil(ThrottlePolicy.retryAfter(record, now: 1120))
        XCTAssertEqual(record?.failures, 1)
    }

    func testAUsernameBacksOffExponentiallyUpToTheCap() {
        var record: FailureRecord? = nil
        var now: Int64 = 1000
        for _ in 0..<4 { record = policy.userFailure(record, now: now); now += 1 }
        XCTAssertNil(ThrottlePolicy.retryAfter(record, now: now))
        var locks: [Int64] = []
        for _ in 0..<12 {
            record = policy.userFailure(record, now: now)
            let lock = ThrottlePolicy.retryAfter(record, now: now) ?? 0
            locks.append(lock)
            now += lock  // the next guess comes the moment the lock ends
        }
        XCTAssertEqual(locks, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300])
    }

    func testAUsernameGetsOneDoublingBackPerQuietWindowAndStartsOverAtNone() {
        var record: FailureRecord? = nil
        for second: Int64 in 0..<6 { record = policy.userFailure(record, now: 1000 + second) }
        let lockEnd = record?.banUntil ?? 0
        XCTAssertEqual(record?.strikes, 2)
        let oneWindow = policy.userFailure(record, now: lockEnd + 120)
        XCTAssertEqual(oneWindow.strikes, 2, "one strike decayed, then this failure added one")
        XCTAssertEqual(ThrottlePolicy.retryAfter(oneWindow, now: lockEnd + 120), 2)
        let twoWindows = policy.userFailure(record, now: lockEnd + 240)
        XCTAssertEqual(twoWindows.failures, 1, "no strike left: the count starts over")
        XCTAssertEqual(twoWindows.strikes, 0)
        XCTAssertNil(ThrottlePolicy.retryAfter(twoWindows, now: lockEnd + 240))
        XCTAssertEqual(policy.userFailure(policy.userFailure(nil, now: 0), now: 120).failures, 1, "below the limit: a quiet window forgets")
    }

    /// However a stranger spreads guesses at one username over an hour (as fast as the lock
    /// allows, or bursts with pauses to let it decay), the rule's rate holds: at most
    /// `maxFailures` a `window`; guessing without pauses gets far fewer.
    func testAUsernameGetsNoMoreGuessesAnHourThanTheRuleAllows() {
        func guessesInAnHour(burst: Int, pause: Int64) -> Int {
            var record: FailureRecord? = nil
            var now: Int64 = 0
            var guesses = 0
            while now < 3600 {
                for _ in 0..<burst where now < 3600 {
                    record = policy.userFailure(record, now: now)
                    guesses += 1
                    now += ThrottlePolicy.retryAfter(record, now: now) ?? 0
                }
                now += pause
            }
            return guesses
        }
        XCTAssertLessThanOrEqual(guessesInAnHour(burst: 1, pause: 0), 30, "guessing whenever the lock allows")
        for burst in [1, 4, 5, 6, 10] {
            for pause: Int64 in [1, 60, 119, 120, 121, 240, 600] {
                XCTAssertLessThanOrEqual(guessesInAnHour(burst: burst, pause: pause), 5 * 3600 / 120 + 5, "bursts of \(burst), pauses of \(pause) s")
            }
        }
    }

    func testTheLocalLedgerForgetsExpiredRecordsAndStaysBounded() {
        let ledger = LocalFailureLedger(capacity: 3)
        for key: UInt64 in 1...3 { ledger.update(key, now: 0) { _ in FailureRecord(failures: 1, expiresAt: 10 + Int64(key)) } }
        XCTAssertEqual(ledger.record(2, now: 5)?.failures, 1)
        XCTAssertNil(ledger.record(2, now: 12), "expired")
        ledger.update(4, now: 5) { _ in FailureRecord(failures: 1, expiresAt: 100) }
        XCTAssertNil(ledger.record(1, now: 5), "the soonest to expire made room")
        XCTAssertEqual(ledger.record(4, now: 5)?.failures, 1)
        var seen: FailureRecord?? = .none
        ledger.update(2, now: 50) { current in seen = current; return FailureRecord(failures: 7, expiresAt: 60) }
        XCTAssertEqual(seen, .some(nil), "an expired record is handed over as none")
    }

    func testKeysFoldCaseAndIPv6Prefixes() {
        XCTAssertEqual(Throttle.key(user: "JohnDoe"), Throttle.key(user: "johndoe"))
        XCTAssertNotEqual(Throttle.key(user: "johndoe"), Throttle.key(address: "johndoe"))
        XCTAssertEqual(Throttle.key(address: "2001:db8:1:2::1"), Throttle.key(address: "2001:db8:1:2:ffff::9"), "one /64")
        XCTAssertNotEqual(Throttle.key(address: "2001:db8:1:2::1"), Throttle.key(address: "2001:db8:1:3::1"))
        XCTAssertEqual(Throttle.key(address: "::ffff:192.0.2.7"), Throttle.key(address: "192.0.2.7"))
        XCTAssertNotEqual(Throttle.key(address: "192.0.2.7"), Throttle.key(address: "192.0.2.8"))
    }
}

/// trusted_proxies: forwarded headers count only from a trusted sender.
final class ClientAddressTests: XCTestCase {
    func request(from remote: String, _ headers: [(String, String)]) -> Request {
        Request(method: "GET", path: "/", headers: Headers(headers), remoteAddress: remote)
    }

    func testCIDRsOfBothFamilies() throws {
        let v4 = try XCTUnwrap(CIDR("10.1.0.0/16"))
        XCTAssertTrue(v4.contains(try XCTUnwrap(IPAddress("10.1.200.3"))))
        XCTAssertTrue(v4.contains(try XCTUnwrap(IPAddress("::ffff:10.1.0.1"))))
        XCTAssertFalse(v4.contains(try XCTUnwrap(IPAddress("10.2.0.1"))))
        let v6 = try XCTUnwrap(CIDR("fd00::/8"))
        XCTAssertTrue(v6.contains(try XCTUnwrap(IPAddress("fd12:3456::1"))))
        XCTAssertFalse(v6.contains(try XCTUnwrap(IPAddress("fe80::1"))))
        XCTAssertFalse(v6.contains(try XCTUnwrap(IPAddress("10.1.0.1"))))
        XCTAssertEqual(CIDR("127.0.0.1")?.description, "127.0.0.1/32")
        XCTAssertEqual(CIDR("10.1.2.3/8")?.description, "10.0.0.0/8")
        for bad in ["10.0.0.0/33", "fd00::/129", "10.0.0/8", "example.com", "10.0.0.0/", "/8", "10.0.0.0/-1"] {
            XCTAssertNil(CIDR(bad), bad)
        }
    }

    func testTheSettingParsesAListOfCIDRs() throws {
        let config = try Config.load(file: nil, environment: ["GATEHOUSE_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8 ::1/128"])
        XCTAssertEqual(config.trustedProxies.map(\.description), ["127.0.0.1/32", "10.0.0.0/8", "::1/128"])
        XCTAssertThrowsError(try Config.load(file: nil, environment: ["GATEHOUSE_TRUSTED_PROXIES": "10.0.0.0/40"]))
    }

    func testWithoutTrustedProxiesForwardedHeadersChangeNothing() {
        let resolve = ClientAddress(trustedProxies: [])
        XCTAssertEqual(resolve.of(request(from: "198.51.100.7", [("X-Forwarded-For", "1.2.3.4"), ("X-Real-IP", "5.6.7.8")])),
                       "198.51.100.7")
    }

    func testATrustedProxysForwardedForNamesTheNearestUntrustedHop() throws {
        let resolve = ClientAddress(trustedProxies: [try XCTUnwrap(CIDR("10.0.0.0/8"))])
        let chain = [("X-Forwarded-For", "6.6.6.6, 203.0.113.9, 10.0.0.2")]
        XCTAssertEqual(resolve.of(request(from: "10.0.0.1", chain)), "203.0.113.9", "the client's own claim (6.6.6.6) is ignored")
        XCTAssertEqual(resolve.of(request(from: "192.0.2.1", chain)), "192.0.2.1", "an untrusted sender's header is ignored")
        XCTAssertEqual(resolve.of(request(from: "10.0.0.1", [("X-Real-IP", "203.0.113.5")])), "203.0.113.5")
        XCTAssertEqual(resolve.of(request(from: "10.0.0.1", [("X-Forwarded-For", "garbage, 10.0.0.3")])), "10.0.0.3")
        XCTAssertEqual(resolve.of(request(from: "10.0.0.1", [])), "10.0.0.1")
    }
}
