import Foundation
import XCTest
@testable import Gatehouse
import PostgreSQLSupport

/// The two-factor rows of migration 6 in both dialects: what `migrate --from sqlite:` copies
/// into PostgreSQL is read back the same there.
final class TwoFactorStoreTests: XCTestCase {
    let hash = "$argon2id$v=19$m=1024,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA"

    func testTwoFactorRowsAreCopiedIntoPostgreSQL() throws {
        let path = NSTemporaryDirectory() + "gh-copy-\(UUID().uuidString)/gatehouse.sqlite3"
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let source = try Store.open(path: path)
        let alice = try source.createUser(username: "alice", passwordHash: hash)
        let sealed: [UInt8] = [0, 0xff, 0x5c, 0x27, 0x00, 0x80]
        try source.beginTOTPEnrolment(userID: alice.id, sealedSecret: sealed, now: 100)
        XCTAssertTrue(try source.confirmTOTP(userID: alice.id, pendingSecret: sealed, step: 7, recoveryHashes: [[1, 2], [0, 0]], now: 110))
        XCTAssertTrue(try source.spendRecoveryCode(userID: alice.id, hash: [0, 0], now: 120))
        try source.beginTOTPEnrolment(userID: alice.id, sealedSecret: [9, 9], now: 130)
        try source.createPendingSignIn(hash: [7, 7], PendingSignIn(userID: alice.id, credentialVersion: 1, clientAddress: "::1",
                                                                    expiresAt: 500, failures: 0), now: 130)
        let session = try source.createSession(userID: alice.id, scopes: [], clientAddress: "", userAgent: "", now: 130,
                                               lifetime: 100, secondFactor: true)

        let target = try Store.open(postgresql: try PostgreSQLServer.shared().createDatabase(), password: nil)
        let copied = try source.copy(into: target)
        XCTAssertTrue(copied.allSatisfy { $0.source == $0.target }, "\(copied)")
        XCTAssertTrue(Set(copied.map(\.table)).isSuperset(of: ["totp", "recovery_codes", "pending_sign_ins"]), "\(copied)")
        let record = try XCTUnwrap(try target.totp(userID: alice.id))
        XCTAssertEqual(record, try source.totp(userID: alice.id))
        XCTAssertEqual(record.secret, sealed)
        XCTAssertEqual(record.pendingSecret, [9, 9])
        XCTAssertEqual(record.lastStep, 7)
        XCTAssertEqual(try target.user(id: alice.id)?.totpEnabled, true)
        XCTAssertEqual(try target.unusedRecoveryCodes(userID: alice.id), 1)
        XCTAssertFalse(try target.spendRecoveryCode(userID: alice.id, hash: [0, 0], now: 140), "spent stays spent")
        XCTAssertTrue(try target.spendRecoveryCode(userID: alice.id, hash: [1, 2], now: 140))
        XCTAssertEqual(try target.pendingSignIn(hash: [7, 7]), try source.pendingSignIn(hash: [7, 7]))
        XCTAssertEqual(try target.session(id: session.id)?.secondFactor, true)
        XCTAssertFalse(try target.acceptTOTPStep(userID: alice.id, step: 7), "the step taken in SQLite stays taken")
        XCTAssertTrue(try target.acceptTOTPStep(userID: alice.id, step: 8))
        XCTAssertTrue(try target.disableTOTP(userID: alice.id, now: 150))
        XCTAssertEqual(try target.user(id: alice.id)?.totpEnabled, false)
    }
}
