import Dispatch
import XCTest
@testable import Gatehouse
@testable import GatehouseServer

/// The master's shared ledger: lookups, the bounded probe, and racing writers.
final class SharedFailureTableTests: XCTestCase {
    func testRecordsAreFoundAndExpire() throws {
        let table = try SharedFailureTable(capacity: 64)
        XCTAssertNil(table.record(42, now: 0))
        table.update(42, now: 0) { current in
            XCTAssertNil(current)
            return FailureRecord(failures: 1, expiresAt: 10)
        }
        table.update(42, now: 1) { current in FailureRecord(failures: (current?.failures ?? 0) + 1, expiresAt: 10) }
        XCTAssertEqual(table.record(42, now: 5)?.failures, 2)
        XCTAssertNil(table.record(42, now: 10), "expired")
        XCTAssertNil(table.record(43, now: 5))
    }

    func testAFullProbeRangeGivesUpTheRecordThatExpiresSoonest() throws {
        let table = try SharedFailureTable(capacity: 64)
        // Keys 64 apart share a home slot; eight of them fill its probe range.
        let keys = (1...8).map { UInt64($0 * 64 + 5) }
        for (i, key) in keys.enumerated() { table.update(key, now: 0) { _ in FailureRecord(failures: 1, expiresAt: 100 + Int64(i)) } }
        for key in keys { XCTAssertNotNil(table.record(key, now: 1)) }
        table.update(9 * 64 + 5, now: 1) { _ in FailureRecord(failures: 1, expiresAt: 500) }
        XCTAssertNil(table.record(keys[0], now: 1), "the soonest to expire made room")
        XCTAssertNotNil(table.record(9 * 64 + 5, now: 1))
        XCTAssertNotNil(table.record(keys[1], now: 1))
    }

    /// Lost counts are allowed, broken records are not: every record read back is one a writer wrote.
    func testRacingWritersNeverCorruptTheTable() throws {
        let table = try SharedFailureTable(capacity: 256)
        let policy = ThrottlePolicy(address: .init(maxFailures: 5, window: 120, ban: 300), user: .init(maxFailures: 5, window: 120, ban: 300))
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<20_000 {
                let key = UInt64((i * 7 + worker) % 1000 + 1)
                table.update(key, now: 1000) { policy.addressFailure($0, now: 1000) }
                _ = table.record(key &+ 1, now: 1000)
            }
        }
        for key in UInt64(1)...1000 {
            guard let record = table.record(key, now: 1000) else { continue }
            XCTAssertTrue((0..<5).contains(record.failures), "failures \(record.failures)")
            XCTAssertTrue(record.banUntil == 0 || record.banUntil == 1300)
            XCTAssertTrue(record.expiresAt == 1120 || record.expiresAt == 1300)
        }
    }
}
