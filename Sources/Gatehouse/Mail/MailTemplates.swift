import FoundationEssentials
import Glibc

/// The messages Gatehouse sends, as `{{name}}` templates: a subject, plain text and HTML
/// for each kind. Built in, or read from `mail_templates_dir` (`verify.subject`,
/// `verify.txt`, `verify.html`, `reset.*`, `invite.*`), each file overriding its part.
/// Values are HTML-escaped in the HTML part; the subject is one line whatever they hold.
package struct MailTemplates: Sendable {
    package struct Rendered: Sendable, Equatable {
        package var subject: String
        package var text: String
        package var html: String
    }

    let folder: String?

    package init(folder: String?) { self.folder = folder }

    /// The link a message of that kind carries, under `public_url` (never a request's Host).
    package static func link(_ kind: AccountTokenPurpose, token: String, publicURL: String) -> String {
        let base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        switch kind {
        case .verify: return base + "/verify?token=" + token
        case .reset: return base + "/reset-password?token=" + token
        case .invite: return base + "/register?invite=" + token
        }
    }

    package func render(_ kind: AccountTokenPurpose, values: [String: String]) -> Rendered {
        let subject = fill(part(kind, "subject"), values, html: false)
            .unicodeScalars.map { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" ? " " : String($0) }
            .joined().trimmingUnicodeWhitespace()
        return Rendered(subject: String(subject.prefix(200)), text: fill(part(kind, "txt"), values, html: false),
                        html: fill(part(kind, "html"), values, html: true))
    }

    func part(_ kind: AccountTokenPurpose, _ suffix: String) -> String {
        if let folder, let text = try? String(contentsOfFile: "\(folder)/\(kind.rawValue).\(suffix)", encoding: .utf8) {
            return text
        }
        return MailTemplates.builtIn[kind.rawValue + "." + suffix] ?? ""
    }

    func fill(_ template: String, _ values: [String: String], html: Bool) -> String {
        var out = template
        for (name, value) in values {
            out = out.replacing("{{\(name)}}", with: html ? HTML.escaped(value) : value)
        }
        return out
    }

    static let builtIn: [String: String] = [
        "verify.subject": "Confirm your email address",
        "verify.txt": """
            Hello {{name}},

            please confirm that {{email}} is your address by opening this link:

            {{link}}

            It works once, for {{minutes}} minutes. If you did not ask for it, ignore this message.

            """,
        "verify.html": """
            <!doctype html>
            <html><body>
            <p>Hello {{name}},</p>
            <p>please confirm that {{email}} is your address:</p>
            <p><a href="{{link}}">Confirm my email address</a></p>
            <p>It works once, for {{minutes}} minutes. If you did not ask for it, ignore this message.</p>
            </body></html>

            """,
        "reset.subject": "Reset your password",
        "reset.txt": """
            Hello {{name}},

            someone (we hope you) asked to reset the password of the account {{username}}.
            To choose a new one, open this link:

            {{link}}

            It works once, for {{minutes}} minutes, and only until the password changes.
            If you did not ask for it, ignore this message: your password stays as it is.

            """,
        "reset.html": """
            <!doctype html>
            <html><body>
            <p>Hello {{name}},</p>
            <p>someone (we hope you) asked to reset the password of the account {{username}}.</p>
            <p><a href="{{link}}">Choose a new password</a></p>
            <p>It works once, for {{minutes}} minutes, and only until the password changes.
            If you did not ask for it, ignore this message: your password stays as it is.</p>
            </body></html>

            """,
        "invite.subject": "You are invited",
        "invite.txt": """
            Hello,

            you are invited to create an account. Open this link to register:

            {{link}}

            or give this invite code when you register: {{token}}

            """,
        "invite.html": """
            <!doctype html>
            <html><body>
            <p>Hello,</p>
            <p>you are invited to create an account: <a href="{{link}}">register</a>.</p>
            <p>Or give this invite code when you register: <code>{{token}}</code></p>
            </body></html>

            """,
    ]
}
