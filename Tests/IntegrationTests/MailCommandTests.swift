import Foundation
import XCTest

/// `gatehouse invite` and `gatehouse mail` as an operator runs them, with mail_transport =
/// file and no server: `mail deliver` is the one pass a timer runs where no master does.
final class MailCommandTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "gatehouse-mailcli-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    func gatehouse(_ args: String..., settings: [String: String] = [:]) throws -> ProcessOutput {
        var environment = [
            "GATEHOUSE_DATA_DIR": root + "/data", "GATEHOUSE_MAIL_TRANSPORT": "file",
            "GATEHOUSE_PUBLIC_URL": "https://site.example", "GATEHOUSE_MAIL_FROM": "noreply@site.example",
            "GATEHOUSE_REGISTRATION": "invite",
        ]
        for (key, value) in settings { environment["GATEHOUSE_" + key.uppercased()] = value }
        return try Harness.run(Harness.binary, args, environment: environment)
    }

    func testAnInviteIsQueuedDeliveredAsAFileListedAndPurged() throws {
        let created = try gatehouse("invite", "create", "--email", "guest@site.example")
        XCTAssertEqual(created.status, 0, created.stderr)
        let code = created.text.trimmingCharacters(in: .newlines)
        XCTAssertTrue(code.hasPrefix("ghi_"), code)
        let queued = try gatehouse("mail", "list", "--state", "queued").text
        XCTAssertTrue(queued.contains("invite") && queued.contains("guest@site.example"), queued)
        XCTAssertFalse(queued.contains(code), "the outbox never shows a token")

        XCTAssertEqual(try gatehouse("mail", "deliver").text, "sent 1, retrying 0, failed 0\n")
        let files = try FileManager.default.contentsOfDirectory(atPath: root + "/data/mail")
        XCTAssertEqual(files, ["00000001.eml"])
        let eml = try String(contentsOfFile: root + "/data/mail/00000001.eml", encoding: .utf8)
        XCTAssertTrue(eml.contains("To: <guest@site.example>\r\n"))
        XCTAssertTrue(eml.contains("Subject: You are invited\r\n"))
        XCTAssertTrue(try gatehouse("mail", "list", "--state", "sent").text.contains("guest@site.example"))
        XCTAssertEqual(try gatehouse("mail", "deliver").text, "sent 0, retrying 0, failed 0\n")
        XCTAssertEqual(try gatehouse("mail", "purge").text, "removed 1 message\n")
        XCTAssertEqual(try gatehouse("invite", "list").text.split(separator: "\n").count, 2, "the invite itself is still open")
    }

    func testBadArgumentsAreRefusedPlainly() throws {
        let bad = try gatehouse("invite", "create", "--email", "a@b.example\r\nBcc: x@example.org")
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "Error: --email: not a valid address\n")
        XCTAssertEqual(try gatehouse("mail", "list", "--state", "discarded").stderr, "Error: --state: expected queued, sent or failed\n")
        XCTAssertEqual(try gatehouse("mail", "retry", "42").stderr, "Error: no failed message with id 42\n")
        let none = try gatehouse("mail", "deliver", settings: ["mail_transport": "none"])
        XCTAssertEqual(none.stderr, "Error: mail_transport = none: nothing delivers\n")
    }
}
