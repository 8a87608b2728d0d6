import Foundation
import Logging
import XCTest
@testable import Gatehouse
import GatehouseServer

/// Messages as they go on the wire, the templates, and the outbox's delivery pass.
final class MailTests: XCTestCase {
    func message(subject: String = "Hi", fromName: String? = nil, to: String = "user@example.com") -> MailMessage {
        MailMessage(from: "noreply@example.com", fromName: fromName, to: to, subject: subject, text: "text", html: "<p>html</p>")
    }

    func headers(_ bytes: [UInt8]) -> [String] {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
    }

    func testAMessageHasItsHeadersAndBothParts() throws {
        let bytes = try message().bytes(date: 1_800_000_000)
        let lines = headers(bytes)
        XCTAssertEqual(lines[0], "From: <noreply@example.com>")
        XCTAssertEqual(lines[1], "To: <user@example.com>")
        XCTAssertEqual(lines[2], "Subject: Hi")
        XCTAssertEqual(lines[3], "Date: Fri, 15 Jan 2027 08:00:00 +0000")
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.contains("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\ndGV4dA=="))
        XCTAssertTrue(text.contains("Content-Type: text/html; charset=utf-8"))
        XCTAssertFalse(text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "every line ends in CRLF")
    }

    func testNothingInASubjectOrNameAddsAHeader() throws {
        let bytes = try message(subject: "Hi\r\nBcc: victim@example.org", fromName: "Site\nBcc: x@example.org").bytes(date: 0)
        let lines = headers(bytes)
        XCTAssertFalse(lines.contains { $0.hasPrefix("Bcc") })
        XCTAssertEqual(lines[2], "Subject: Hi  Bcc: victim@example.org")
        XCTAssertEqual(lines[0], #"From: "Site Bcc: x@example.org" <noreply@example.com>"#)
    }

    func testNonASCIINamesAndSubjectsAreRFC2047Words() throws {
        let lines = headers(try message(subject: "Bestätigen", fromName: "Zoë \"Q\"").bytes(date: 0))
        XCTAssertEqual(lines[0], "From: =?utf-8?B?\(Base64.encode(Array("Zoë \"Q\"".utf8)))?= <noreply@example.com>")
        XCTAssertEqual(lines[2], "Subject: =?utf-8?B?\(Base64.encode(Array("Bestätigen".utf8)))?=")
        let long = headers(try message(subject: String(repeating: "ä", count: 60)).bytes(date: 0))
        XCTAssertTrue(long[2].hasPrefix("Subject: =?utf-8?B?"))
        XCTAssertTrue(long[3].hasPrefix(" =?utf-8?B?"), "folded into words of at most 75 characters")
        XCTAssertTrue(long.filter { $0.hasPrefix("Subject") || $0.hasPrefix(" ") }.allSatisfy { $0.utf8.count <= 78 })
    }

    func testAnInvalidRecipientIsNeverSent() {
        XCTAssertThrowsError(try message(to: "a@example.com\r\nBcc: b@example.org").bytes(date: 0))
        XCTAssertThrowsError(try message(to: "nobody").bytes(date: 0))
    }

    func testTemplatesFillEscapeAndCanBeOverridden() throws {
        let builtIn = MailTemplates(folder: nil).render(.reset, values: ["name": "<Bob>", "username": "bob", "link": "https://x/?a=1&b=2",
                                                                       "minutes": "60"])
        XCTAssertEqual(builtIn.subject, "Reset your password")
        XCTAssertTrue(builtIn.text.contains("Hello <Bob>,"))
        XCTAssertTrue(builtIn.html.contains("Hello &lt;Bob&gt;,"))
        XCTAssertTrue(builtIn.html.contains(#"href="https://x/?a=1&amp;b=2""#))
        let folder = NSTemporaryDirectory() + "gh-templates-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "Welcome {{name}}\r\nBcc: x@example.org".write(toFile: folder + "/verify.subject", atomically: true, encoding: .utf8)
        let custom = MailTemplates(folder: folder).render(.verify, values: ["name": "Ann"])
        XCTAssertEqual(custom.subject, "Welcome Ann  Bcc: x@example.org")
        XCTAssertTrue(custom.text.hasPrefix("Hello Ann,"), "the parts not overridden stay built in")
    }

    func testLinksStartAtPublicURL() {
        XCTAssertEqual(MailTemplates.link(.verify, token: "ghv_T", publicURL: "https://site.example/app/"),
                       "https://site.example/app/verify?token=ghv_T")
        XCTAssertEqual(MailTemplates.link(.reset, token: "ghpw_T", publicURL: "https://site.example"),
                       "https://site.example/reset-password?token=ghpw_T")
    }

    func testTheFileTransportDeliversTheOutboxAndForgetsTheToken() throws {
        let t = try TestApp(TestApp.accounts)
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#,
                   headers: [("Host", "evil.example")])
        _ = t.post("/forgot-password", #"{"email":"nobody@example.com"}"#)
        let token = try t.mailedToken(.reset)
        let summary = try OutboxDelivery(config: t.app.config, logger: TestApp.quietLogger).run(now: t.now)
        XCTAssertEqual(summary, OutboxDelivery.Summary(sent: 1, retrying: 0, failed: 0))
        let files = try FileManager.default.contentsOfDirectory(atPath: t.dir + "/mail")
        XCTAssertEqual(files, ["00000001.eml"])
        var info = stat()
        stat(t.dir + "/mail/" + files[0], &info)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        let eml = try String(contentsOfFile: t.dir + "/mail/" + files[0], encoding: .utf8)
        XCTAssertTrue(eml.contains("To: <johndoe@example.com>\r\n"))
        let body = eml.components(separatedBy: "base64\r\n\r\n")[1].components(separatedBy: "\r\n--")[0]
        let text = String(decoding: Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: "")) ?? Data(), as: UTF8.self)
        XCTAssertTrue(text.contains("https://accounts.example.com/app/reset-password?token=\(token)"), text)
        XCTAssertFalse(text.contains("evil.example"))
        let sent = try XCTUnwrap(try t.app.store.outboxMessages().first)
        XCTAssertEqual(sent.state, .sent)
        XCTAssertNil(sent.nonce)
        XCTAssertEqual(try t.app.store.outboxMessages().count, 1, "the decoy row is gone")
        // Nowhere in the database file is the token, nor anything it can be derived from without the key.
        if !t.app.config.databaseIsPostgreSQL {
            let database = try Data(contentsOf: URL(fileURLWithPath: t.app.config.databasePath))
            XCTAssertNil(database.range(of: Data(token.utf8)))
            XCTAssertNil(database.range(of: Data(token.dropFirst(5).utf8)))
        }
        XCTAssertEqual(summary.sent, 1)
    }

    static var silent: Logger {
        var logger = Logger(label: "gatehouse")
        logger.logLevel = .critical
        return logger
    }

    func testOfTwoPassesOverOneOutboxOnlyOneSendsAMessage() throws {
        let t = try TestApp(TestApp.accounts)
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        let message = try XCTUnwrap(try t.app.store.dueMessages(now: t.now).first)
        XCTAssertTrue(try t.app.store.claimMessage(id: message.id, now: t.now, lease: 300))
        XCTAssertFalse(try t.app.store.claimMessage(id: message.id, now: t.now, lease: 300), "another node took it")
        XCTAssertEqual(try OutboxDelivery(config: t.app.config, logger: MailTests.silent).run(now: t.now), OutboxDelivery.Summary())
        XCTAssertEqual(try OutboxDelivery(config: t.app.config, logger: MailTests.silent).run(now: t.now + 300).sent, 1,
                       "due again once the lease is over")
    }

    func testAnotherNodeWithTheSameKeyFileDeliversTheSameToken() throws {
        let keyFile = NSTemporaryDirectory() + "gh-account-key-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: keyFile) }
        let a = try TestApp(TestApp.accounts.merging(["account_token_key_file": keyFile]) { $1 })
        let b = try TestApp(TestApp.accounts.merging(["account_token_key_file": keyFile, "database": a.app.config.databasePath]) { $1 },
                            demoUsers: false)
        _ = a.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        let token = try a.mailedToken(.reset)
        XCTAssertEqual(try OutboxDelivery(config: b.app.config, logger: MailTests.silent).run(now: a.now).sent, 1)
        let eml = try String(contentsOfFile: b.dir + "/mail/00000001.eml", encoding: .utf8)
        let body = eml.components(separatedBy: "base64\r\n\r\n")[1].components(separatedBy: "\r\n--")[0]
        let text = String(decoding: Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: "")) ?? Data(), as: UTF8.self)
        XCTAssertTrue(text.contains("reset-password?token=\(token)"), text)
        XCTAssertEqual(b.post("/reset-password", #"{"token":"\#(token)","password":"brandnew1"}"#).status, 200)
    }

    func testSentMessagesGoAfterMailKeepSentDaysAndFailedOnesStay() throws {
        let t = try TestApp(TestApp.accounts.merging(["mail_keep_sent_days": "2", "mail_max_attempts": "1"]) { $1 })
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        XCTAssertEqual(try OutboxDelivery(config: t.app.config, logger: MailTests.silent).run(now: t.now).sent, 1)
        _ = t.post("/verify/request", #"{"email":"johndoe@example.com"}"#)
        XCTAssertEqual(try OutboxDelivery(config: t.app.config, logger: MailTests.silent, transport: Refusing()).run(now: t.now).failed, 1)
        _ = try OutboxDelivery(config: t.app.config, logger: MailTests.silent).run(now: t.now + 2 * 86400 - 1)
        XCTAssertEqual(try t.app.store.outboxMessages().map(\.state), [.sent, .failed])
        _ = try OutboxDelivery(config: t.app.config, logger: MailTests.silent).run(now: t.now + 2 * 86400 + 1)
        XCTAssertEqual(try t.app.store.outboxMessages().map(\.state), [.failed])
    }

    struct Refusing: MailTransport {
        func send(_ message: [UInt8], from: String, to: String, id: Int64) throws { throw MailTransportError("550 no thanks") }
    }

    func testAFailedDeliveryBacksOffThenFailsAndCanBeRetried() throws {
        let t = try TestApp(TestApp.accounts.merging(["mail_max_attempts": "3", "mail_retry_seconds": "60"]) { $1 })
        _ = t.post("/forgot-password", #"{"email":"johndoe@example.com"}"#)
        let delivery = try OutboxDelivery(config: t.app.config, logger: MailTests.silent, transport: Refusing())
        XCTAssertEqual(try delivery.run(now: t.now).retrying, 1)
        var message = try XCTUnwrap(try t.app.store.outboxMessages().first)
        XCTAssertEqual(message.nextAttemptAt, t.now + 60)
        XCTAssertEqual(message.lastError, "550 no thanks")
        XCTAssertEqual(try delivery.run(now: t.now + 59), OutboxDelivery.Summary(), "not due yet")
        XCTAssertEqual(try delivery.run(now: t.now + 60).retrying, 1)
        XCTAssertEqual(try t.app.store.outboxMessages().first?.nextAttemptAt, t.now + 60 + 120, "the wait doubles")
        XCTAssertEqual(try delivery.run(now: t.now + 180).failed, 1)
        message = try XCTUnwrap(try t.app.store.outboxMessages().first)
        XCTAssertEqual(message.state, .failed)
        XCTAssertEqual(message.attempts, 3)
        XCTAssertNotNil(message.nonce, "kept for a retry")
        XCTAssertEqual(try t.app.store.retryMessages(id: nil, now: t.now + 200), 1)
        let files = try OutboxDelivery(config: t.app.config, logger: TestApp.quietLogger).run(now: t.now + 200)
        XCTAssertEqual(files.sent, 1)
        XCTAssertEqual(try t.app.store.purgeMessages(failed: false), 1)
        XCTAssertEqual(try t.app.store.outboxMessages(), [])
    }
}
