import Foundation
import XCTest

/// A real SMTP server (aiosmtpd, started here and stopped by PID) for a real `gatehouse
/// serve` behind nginx: every message is read back from what the server received.
final class SMTPSink {
    let port: Int
    let folder: String
    /// The sink's options: `--auth USER:PASSWORD`, `--starttls CERT KEY`, `--tls CERT KEY`.
    let options: [String]
    private var process: Process?

    init(options: [String] = []) throws {
        self.options = options
        port = try Harness.freePort()
        folder = NSTemporaryDirectory() + "gatehouse-smtp-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try start()
    }

    func start() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("smtp_sink.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestPython.path())
        process.arguments = [script, String(port), folder] + options
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: try Harness.createFile(folder + "/sink.log"))
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(15)
        while !FileManager.default.fileExists(atPath: folder + "/ready") {
            guard Date() < deadline, process.isRunning else {
                throw HarnessError("smtp sink did not start: \((try? String(contentsOfFile: folder + "/sink.log", encoding: .utf8)) ?? "")")
            }
            usleep(50_000)
        }
    }

    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        if !Harness.wait(process, timeout: 10) {
            kill(process.processIdentifier, SIGKILL)
            _ = Harness.wait(process, timeout: 5)
        }
        self.process = nil
    }

    func remove() {
        stop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    var received: Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".json") }.count
    }

    /// Message `n` (1-based) as Python's email package read it, once it has arrived.
    func message(_ n: Int, timeout: TimeInterval = 30) throws -> [String: Any] {
        let path = folder + "/\(n).json"
        let deadline = Date().addingTimeInterval(timeout)
        while !FileManager.default.fileExists(atPath: path) {
            guard Date() < deadline else { throw HarnessError("message \(n) never arrived") }
            usleep(100_000)
        }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
    }
}

final class AccountsThroughNginxTests: XCTestCase {
    static let publicURL = "https://accounts.example.test/app"

    func json(_ e: E2E, _ path: String, _ body: String, _ headers: [String] = []) throws -> HTTPResult {
        try e.curl(["-X", "POST", "-H", "Content-Type: application/json"] + headers.flatMap { ["-H", $0] }
            + ["--data-binary", body, e.url(path)])
    }

    /// The token in the message's link, after checking the link starts at public_url.
    func token(in message: [String: Any], path: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let text = message["text"] as? String ?? ""
        let prefix = Self.publicURL + path
        guard let start = text.range(of: prefix) else {
            XCTFail("no link \(prefix) in \(text)", file: file, line: line)
            throw HarnessError("no link")
        }
        let token = String(text[start.upperBound...].prefix { !$0.isWhitespace })
        XCTAssertTrue((message["html"] as? String ?? "").contains(prefix + token), "the HTML part has the same link", file: file, line: line)
        return token
    }

    func start(_ sink: SMTPSink, extra: [String: String] = [:]) throws -> E2E {
        try E2E(config: [
            "registration": "open", "require_verified_email": "true", "mail_transport": "smtp",
            "smtp_url": "smtp://127.0.0.1:\(sink.port)", "smtp_starttls": "false", "public_url": Self.publicURL,
            "mail_from": "noreply@example.test", "mail_from_name": "Gatehouse Tëst", "mail_max_attempts": "1",
            "account_requests_per_address": "100",
        ].merging(extra) { $1 })
    }

    func testRegisterVerifyForgetResetAndAFailedDeliveryRetried() throws {
        let sink = try SMTPSink()
        defer { sink.remove() }
        let e = try start(sink)
        defer { e.stop() }

        // Register: 201, and a verification mail to the new address.
        let registered = try json(e, "/auth/register",
                                  #"{"username":"newbie","email":"newbie@example.test","password":"newbiepass","full_name":"New Bie"}"#,
                                  ["Host: evil.example"])
        XCTAssertEqual(registered.status, 201, registered.text)
        XCTAssertEqual(registered.header("cache-control"), "no-store")
        let verification = try sink.message(1)
        XCTAssertEqual(verification["rcpt_tos"] as? [String], ["newbie@example.test"])
        XCTAssertEqual(verification["mail_from"] as? String, "noreply@example.test")
        XCTAssertEqual(verification["subject"] as? String, "Confirm your email address")
        XCTAssertEqual(verification["to"] as? String, "newbie@example.test")
        let headers = (verification["headers"] as? [[String]] ?? []).map { $0[0] }
        XCTAssertEqual(headers.filter { $0.lowercased() == "to" }.count, 1)
        XCTAssertFalse(headers.contains { ["bcc", "cc"].contains($0.lowercased()) })
        XCTAssertEqual((verification["headers"] as? [[String]])?.first { $0[0] == "From" }?[1],
                       "Gatehouse Tëst <noreply@example.test>", "the RFC 2047 name decodes")
        XCTAssertTrue((verification["text"] as? String ?? "").contains("Hello New Bie,"))
        let verifyToken = try token(in: verification, path: "/verify?token=")
        e.secrets.append(verifyToken)
        XCTAssertFalse((verification["text"] as? String ?? "").contains("evil.example"), "links never follow the Host header")

        // Unverified: signs in, but a location that needs `verified` refuses it.
        XCTAssertAnswer(try e.get("/auth/check?verified=true", [], ["-u", "newbie:newbiepass"]), 403, #"{"detail":"Email not verified"}"#)
        XCTAssertAnswer(try json(e, "/auth/verify", #"{"token":"\#(verifyToken)"}"#), 200,
                        #"{"username":"newbie","email":"newbie@example.test","full_name":"New Bie","disabled":false}"#)
        XCTAssertEqual(try e.get("/auth/check?verified=true", [], ["-u", "newbie:newbiepass"]).status, 204)
        XCTAssertAnswer(try json(e, "/auth/verify", #"{"token":"\#(verifyToken)"}"#), 400, #"{"detail":"VERIFY_USER_BAD_TOKEN"}"#)

        // Forgot: 202 for nobody and for somebody; only somebody gets mail.
        let before = try e.token("newbie", "newbiepass", scope: "me")
        XCTAssertAnswer(try json(e, "/auth/forgot-password", #"{"email":"nobody@example.test"}"#), 202, "null")
        XCTAssertAnswer(try json(e, "/auth/forgot-password", #"{"email":"NEWBIE@example.test"}"#), 202, "null")
        let resetMail = try sink.message(2)
        XCTAssertEqual(resetMail["rcpt_tos"] as? [String], ["newbie@example.test"])
        let resetToken = try token(in: resetMail, path: "/reset-password?token=")
        e.secrets.append(resetToken)
        XCTAssertAnswer(try json(e, "/auth/reset-password", #"{"token":"\#(resetToken)","password":"fresh-pass-1"}"#), 200, "null")
        XCTAssertAnswer(try e.bearer("/auth/users/me/", before), 401, E2E.couldNotValidate)
        XCTAssertAnswer(try e.login("newbie", "newbiepass", scope: "me"), 400, E2E.incorrectLogin)
        XCTAssertEqual(try e.login("newbie", "fresh-pass-1", scope: "me").status, 200)
        XCTAssertAnswer(try json(e, "/auth/reset-password", #"{"token":"\#(resetToken)","password":"again-pass-1"}"#), 400,
                        #"{"detail":"RESET_PASSWORD_BAD_TOKEN"}"#)
        XCTAssertTrue(try e.cli(["audit", "--event", "password.changed"]).text.contains("newbie"))
        XCTAssertEqual(sink.received, 2, "nothing went to nobody@")

        // The mail server goes away: the message fails (one attempt here) and stays visible.
        sink.stop()
        XCTAssertEqual(try json(e, "/auth/forgot-password", #"{"username":"newbie"}"#).status, 202)
        var listed = ""
        let deadline = Date().addingTimeInterval(30)
        repeat {
            usleep(200_000)
            listed = try e.cli(["mail", "list", "--state", "failed"]).text
        } while !listed.contains("newbie@example.test") && Date() < deadline
        XCTAssertTrue(listed.contains("reset"), listed)
        XCTAssertTrue(listed.contains("newbie@example.test"), listed)
        XCTAssertTrue(try e.cli(["mail", "list"]).text.contains("sent"))
        // Back up, retried by the operator: delivered.
        try sink.start()
        XCTAssertEqual(try e.cli(["mail", "retry"]).text, "queued 1 message again\n")
        let retried = try sink.message(3)
        XCTAssertEqual(retried["subject"] as? String, "Reset your password")
        e.secrets.append(try token(in: retried, path: "/reset-password?token="))
        XCTAssertEqual(try e.cli(["mail", "list", "--state", "failed"]).text.split(separator: "\n").count, 1, "only the heading")
        XCTAssertEqual(try e.cli(["mail", "purge"]).text, "removed 3 messages\n")
        XCTAssertEqual(try e.cli(["mail", "list"]).text.split(separator: "\n").count, 1)
        e.assertNoLeaks()
    }

    func testBadInputSendsNothing() throws {
        let sink = try SMTPSink()
        defer { sink.remove() }
        let e = try start(sink, extra: ["account_requests_per_address": "4"])
        defer { e.stop() }
        XCTAssertEqual(try json(e, "/auth/register", #"{"username":"x1","email":"x1@example.test\r\nBcc: victim@example.org","password":"longenough"}"#).status, 422)
        XCTAssertEqual(try json(e, "/auth/register", #"{"username":"x2","email":"x2@example.test","password":"longenough","full_name":"X\r\nBcc: victim@example.org"}"#).status, 422)
        XCTAssertAnswer(try json(e, "/auth/register", #"{"username":"JohnDoe","email":"x3@example.test","password":"longenough"}"#), 400,
                        #"{"detail":"REGISTER_USER_ALREADY_EXISTS"}"#)
        XCTAssertEqual(try json(e, "/auth/register", #"{"username":"ｊohndoe","email":"x4@example.test","password":"longenough"}"#).status, 422)
        // The address's budget of account requests is spent (the 422s before validation did not count).
        XCTAssertEqual(try json(e, "/auth/forgot-password", #"{"email":"johndoe@example.com"}"#).status, 202)
        XCTAssertEqual(try json(e, "/auth/forgot-password", #"{"email":"johndoe@example.com"}"#).status, 202)
        XCTAssertEqual(try json(e, "/auth/forgot-password", #"{"email":"johndoe@example.com"}"#).status, 202)
        let flood = try json(e, "/auth/forgot-password", #"{"email":"johndoe@example.com"}"#)
        XCTAssertAnswer(flood, 429, #"{"detail":"Too many requests"}"#)
        XCTAssertNotNil(flood.header("retry-after"))
        _ = try sink.message(3)
        usleep(3_000_000)
        XCTAssertEqual(sink.received, 3, "three resets for johndoe, nothing else")
    }
}

final class SMTPTransportThroughNginxTests: XCTestCase {
    func start(_ sink: SMTPSink, _ extra: [String: String]) throws -> E2E {
        try E2E(config: [
            "mail_transport": "smtp", "smtp_url": "smtp://127.0.0.1:\(sink.port)", "public_url": AccountsThroughNginxTests.publicURL,
            "mail_from": "noreply@example.test", "mail_max_attempts": "1",
        ].merging(extra) { $1 })
    }

    func forgot(_ e: E2E) throws {
        let r = try e.curl(["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", #"{"username":"johndoe"}"#,
                            e.url("/auth/forgot-password")])
        XCTAssertEqual(r.status, 202)
    }

    func failedList(_ e: E2E) throws -> String {
        let deadline = Date().addingTimeInterval(30)
        var listed = ""
        repeat {
            usleep(200_000)
            listed = try e.cli(["mail", "list", "--state", "failed"]).text
        } while !listed.contains("johndoe@example.com") && Date() < deadline
        return listed
    }

    func testSTARTTLSIsRequiredByDefaultAndAServerWithoutItGetsNothing() throws {
        let sink = try SMTPSink()
        defer { sink.remove() }
        let e = try start(sink, [:])
        defer { e.stop() }
        try forgot(e)
        let listed = try failedList(e)
        XCTAssertTrue(listed.contains("smtp: "), listed)
        XCTAssertTrue(listed.lowercased().contains("ssl") || listed.lowercased().contains("tls"), listed)
        XCTAssertEqual(sink.received, 0)
    }

    /// A certificate for 127.0.0.1 (its own CA), made with openssl.
    static func certificate(in folder: String, name: String = "127.0.0.1") throws -> (cert: String, key: String) {
        let cert = folder + "/cert.pem", key = folder + "/key.pem"
        let made = try Harness.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
            "-days", "1", "-subj", "/CN=\(name)", "-addext", "subjectAltName=IP:\(name)",
        ])
        guard made.status == 0 else { throw HarnessError("openssl: \(made.stderr)") }
        return (cert, key)
    }

    func testSTARTTLSWithThePrivateCAAndImplicitTLS() throws {
        let folder = NSTemporaryDirectory() + "gatehouse-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (cert, key) = try Self.certificate(in: folder)
        for (option, scheme) in [("--starttls", "smtp"), ("--tls", "smtps")] {
            let sink = try SMTPSink(options: [option, cert, key])
            defer { sink.remove() }
            let e = try start(sink, ["smtp_url": "\(scheme)://127.0.0.1:\(sink.port)", "smtp_ca_file": cert])
            defer { e.stop() }
            try forgot(e)
            let message = try sink.message(1)
            XCTAssertEqual(message["tls"] as? Bool, true, scheme)
            XCTAssertEqual(message["rcpt_tos"] as? [String], ["johndoe@example.com"], scheme)
        }
    }

    func testACertificateForAnotherNameOrFromAnUnknownCAIsRefused() throws {
        let folder = NSTemporaryDirectory() + "gatehouse-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (cert, key) = try Self.certificate(in: folder, name: "127.0.0.2")
        let sink = try SMTPSink(options: ["--tls", cert, key])
        defer { sink.remove() }
        let e = try start(sink, ["smtp_url": "smtps://127.0.0.1:\(sink.port)", "smtp_ca_file": cert])
        defer { e.stop() }
        try forgot(e)
        XCTAssertTrue(try failedList(e).contains("johndoe@example.com"))
        let unknownCA = try start(sink, ["smtp_url": "smtps://127.0.0.1:\(sink.port)"])
        defer { unknownCA.stop() }
        try forgot(unknownCA)
        XCTAssertTrue(try failedList(unknownCA).contains("johndoe@example.com"))
        XCTAssertEqual(sink.received, 0)
    }

    func testAUTHWithThePasswordFileAndNoPasswordInTheLog() throws {
        let password = "smtp-Secret-\(UUID().uuidString.prefix(8))"
        let sink = try SMTPSink(options: ["--auth", "relay:" + password])
        defer { sink.remove() }
        let passwordFile = sink.folder + "/smtp-password"
        try (password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let e = try start(sink, ["smtp_starttls": "false", "smtp_user": "relay", "smtp_password_file": passwordFile])
        defer { e.stop() }
        try forgot(e)
        XCTAssertEqual(try sink.message(1)["rcpt_tos"] as? [String], ["johndoe@example.com"])
        XCTAssertEqual(try String(contentsOfFile: sink.folder + "/auth.log", encoding: .utf8), "ok relay\n")
        XCTAssertFalse(e.h.serverLog().contains(password))
        XCTAssertFalse(try e.cli(["config", "show"]).text.contains(password))

        // A wrong password: refused by the server, the message failed, nothing delivered.
        try ("wrong\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        try forgot(e)
        XCTAssertTrue(try failedList(e).contains("reset"))
        XCTAssertEqual(sink.received, 1)
        XCTAssertFalse(e.h.serverLog().contains(password))
    }
}

final class SendmailTransportThroughNginxTests: XCTestCase {
    func testMessagesArePipedToSendmailWhichRelaysThem() throws {
        let sink = try SMTPSink()
        defer { sink.remove() }
        let relay = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("sendmail_relay.py").path
        let wrapper = sink.folder + "/sendmail"
        try "#!/bin/sh\nexec \(try TestPython.path()) \(relay) \(sink.port) \(sink.folder)/args.log \"$@\"\n"
            .write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        let e = try E2E(config: [
            "mail_transport": "sendmail", "sendmail_path": wrapper, "public_url": AccountsThroughNginxTests.publicURL,
            "mail_from": "noreply@example.test",
        ])
        defer { e.stop() }
        let r = try e.curl(["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", #"{"email":"johndoe@example.com"}"#,
                            e.url("/auth/forgot-password")])
        XCTAssertEqual(r.status, 202)
        let message = try sink.message(1)
        XCTAssertEqual(message["mail_from"] as? String, "noreply@example.test")
        XCTAssertEqual(message["rcpt_tos"] as? [String], ["johndoe@example.com"])
        XCTAssertTrue((message["text"] as? String ?? "").contains(AccountsThroughNginxTests.publicURL + "/reset-password?token=ghpw_"))
        XCTAssertEqual(try String(contentsOfFile: sink.folder + "/args.log", encoding: .utf8),
                       #"["-t", "-i", "-f", "noreply@example.test"]"# + "\n")
    }
}

final class InvitesThroughNginxTests: XCTestCase {
    func testAnInviteFromTheCommandLineIsMailedAndOpensRegistrationOnce() throws {
        let sink = try SMTPSink()
        defer { sink.remove() }
        let e = try E2E(config: [
            "registration": "invite", "mail_transport": "smtp", "smtp_url": "smtp://127.0.0.1:\(sink.port)",
            "smtp_starttls": "false", "public_url": AccountsThroughNginxTests.publicURL, "mail_from": "noreply@example.test",
        ])
        defer { e.stop() }
        let register = #"{"username":"guest","email":"guest@example.test","password":"guestpass"}"#
        let post = { (body: String) in
            try e.curl(["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body, e.url("/auth/register")])
        }
        XCTAssertAnswer(try post(register), 400, #"{"detail":"REGISTER_INVALID_INVITE"}"#)
        let code = try e.cli(["invite", "create", "--email", "guest@example.test"]).text.trimmingCharacters(in: .newlines)
        e.secrets.append(code)
        XCTAssertTrue(try e.cli(["invite", "list"]).text.contains("guest@example.test"))
        let mailed = try sink.message(1)
        XCTAssertEqual(mailed["rcpt_tos"] as? [String], ["guest@example.test"])
        XCTAssertTrue((mailed["text"] as? String ?? "").contains(AccountsThroughNginxTests.publicURL + "/register?invite=" + code))
        let withCode = String(register.dropLast()) + #","invite":"\#(code)"}"#
        XCTAssertEqual(try post(withCode).status, 201)
        XCTAssertAnswer(try post(withCode.replacingOccurrences(of: "guest", with: "guest2")), 400, #"{"detail":"REGISTER_INVALID_INVITE"}"#)
        XCTAssertEqual(try e.cli(["invite", "list"]).text.split(separator: "\n").count, 1, "only the heading")
        XCTAssertTrue(try e.cli(["user", "show", "guest"]).text.contains("scopes:            me\n"))
        XCTAssertTrue(try e.cli(["user", "show", "guest"]).text.contains("email verified:    no\n"))
        XCTAssertEqual(try e.cli(["user", "verify-email", "guest"]).text, "verified guest@example.test of 'guest'\n")
        XCTAssertFalse(try e.cli(["user", "show", "guest"]).text.contains("email verified:    no\n"))
        XCTAssertEqual(try e.get("/auth/check?verified=true", [], ["-u", "guest:guestpass"]).status, 204)
        e.assertNoLeaks()
    }
}
