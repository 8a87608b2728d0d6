import Foundation
import XCTest

/// audit_retention_days: the master prunes the audit table when it starts serving (then hourly).
final class AuditRetentionTests: XCTestCase {
    func testTheMasterPrunesRowsOlderThanTheRetention() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gh-retention-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let database = folder + "/gatehouse.sqlite3"
        let migrated = try Harness.run(Harness.binary, ["migrate"], environment: ["GATEHOUSE_DATABASE": database, "GATEHOUSE_DATA_DIR": folder])
        XCTAssertEqual(migrated.status, 0, migrated.stderr)
        let now = Int(Date().timeIntervalSince1970)
        let seeded = try Harness.run("/usr/bin/sqlite3", [database, """
            INSERT INTO audit (time, event, username, outcome) VALUES (\(now - 40 * 86400), 'login.ok', 'ancient', 'ok');
            INSERT INTO audit (time, event, username, outcome) VALUES (\(now - 10 * 86400), 'login.ok', 'recent', 'ok');
            """])
        XCTAssertEqual(seeded.status, 0, seeded.stderr)

        let h = try Harness.start(config: ["database": database, "audit_retention_days": "30"])
        defer { h.stop() }
        let deadline = Date().addingTimeInterval(20)
        while !h.serverLog().contains("audit: pruned"), Date() < deadline { usleep(50_000) }
        XCTAssertTrue(h.serverLog().contains("audit: pruned 1 rows older than 30 days"), h.serverLog())
        let listed = try h.gatehouse(["audit"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertTrue(listed.text.contains("recent"), listed.text)
        XCTAssertFalse(listed.text.contains("ancient"), listed.text)
    }
}
