import FoundationEssentials
import Glibc

/// One message as it goes on the wire (RFC 5322, MIME multipart/alternative, CRLF lines).
/// Headers are built only from values that passed `EmailAddress` (the addresses) or were
/// made one line and encoded (RFC 2047) here: nothing a user typed can add a header. The
/// recipient is named by address alone; the user's name appears only in the body.
package struct MailMessage: Sendable {
    package var from: String
    package var fromName: String?
    package var to: String
    package var subject: String
    package var text: String
    package var html: String

    package init(from: String, fromName: String?, to: String, subject: String, text: String, html: String) {
        self.from = from
        self.fromName = fromName
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
    }

    package enum BuildError: Error, CustomStringConvertible {
        case badAddress(String)
        package var description: String {
            switch self { case let .badAddress(what): return "refusing to send: \(what) is not a valid address" }
        }
    }

    /// The whole message, with a fresh Message-ID and boundary.
    package func bytes(date: Int64) throws(BuildError) -> [UInt8] {
        guard EmailAddress.isValid(from) else { throw .badAddress("the sender") }
        guard EmailAddress.isValid(to) else { throw .badAddress("the recipient") }
        let boundary = "gatehouse-" + LibCrypto.hex(LibCrypto.randomBytes(12))
        let domain = from.split(separator: "@").last.map(String.init) ?? "localhost"
        var lines = [
            "From: " + MailMessage.mailbox(from, name: fromName),
            "To: <\(to)>",
            "Subject: " + MailMessage.encodedWord(subject),
            "Date: " + MailMessage.date(date),
            "Message-ID: <\(LibCrypto.hex(LibCrypto.randomBytes(16)))@\(domain)>",
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
        ]
        for (type, body) in [("text/plain", text), ("text/html", html)] {
            lines += ["--" + boundary, "Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: base64", ""]
            lines += MailMessage.base64Lines(Array(body.utf8))
        }
        lines += ["--" + boundary + "--", ""]
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    /// `Name <address>`: the name as a quoted string when it is printable ASCII, else RFC 2047.
    static func mailbox(_ address: String, name: String?) -> String {
        guard let name = name.map(oneLine), !name.isEmpty else { return "<\(address)>" }
        return encodedWord(name, quoting: true) + " <\(address)>"
    }

    /// The text as is when it is printable ASCII, else UTF-8 `=?utf-8?B?…?=` words of at most 75 characters.
    static func encodedWord(_ text: String, quoting: Bool = false) -> String {
        let text = oneLine(text)
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) {
            guard quoting else { return text }
            return "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
        }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 36 {
                words.append("=?utf-8?B?" + Base64.encode(chunk) + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?utf-8?B?" + Base64.encode(chunk) + "?=") }
        return words.joined(separator: "\r\n ")
    }

    /// No control character survives into a header.
    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0.value < 0x20 || $0.value == 0x7F || $0 == "\u{2028}" || $0 == "\u{2029}" || $0 == "\u{85}" ? " " : $0
        })).trimmingUnicodeWhitespace()
    }

    static func base64Lines(_ bytes: [UInt8]) -> [String] {
        let encoded = Array(Base64.encode(bytes).utf8)
        return stride(from: 0, to: encoded.count, by: 76).map {
            String(decoding: encoded[$0..<min($0 + 76, encoded.count)], as: UTF8.self)
        }
    }

    /// RFC 5322's date in UTC: `Wed, 02 Dec 2026 06:51:00 +0000`.
    static func date(_ t: Int64) -> String {
        var time = time_t(t)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func pad(_ n: Int32) -> String { String(n).leftPadded(to: 2) }
        return "\(days[Int(parts.tm_wday)]), \(pad(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)) +0000"
    }
}

extension OutboxMessage {
    /// What the template fills in for this message, with its token's link.
    package func templateValues(token: String, config: Config) -> [String: String] {
        let minutes: Int
        switch kind {
        case .verify: minutes = config.verifyTokenMinutes
        case .reset: minutes = config.resetTokenMinutes
        case .invite: minutes = config.inviteTokenDays * 1440
        }
        return [
            "link": MailTemplates.link(kind, token: token, publicURL: config.publicURL ?? ""), "token": token,
            "username": username, "full_name": fullName, "name": fullName.isEmpty ? (username.isEmpty ? "there" : username) : fullName,
            "email": recipient, "minutes": String(minutes), "public_url": config.publicURL ?? "",
        ]
    }

    /// The message to send, rendered from the templates with its token.
    package func compose(token: String, config: Config, now: Int64) throws -> [UInt8] {
        let rendered = MailTemplates(folder: config.mailTemplatesDir).render(kind, values: templateValues(token: token, config: config))
        return try MailMessage(from: config.mailFrom ?? "", fromName: config.mailFromName, to: recipient,
                               subject: rendered.subject, text: rendered.text, html: rendered.html).bytes(date: now)
    }
}
