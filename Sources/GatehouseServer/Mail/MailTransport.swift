import FoundationEssentials
import Glibc
import Gatehouse

/// Hands one finished message to the world: SMTP, the system's sendmail, or a file.
public protocol MailTransport {
    /// `id` names the outbox message (the file transport's file name).
    func send(_ message: [UInt8], from: String, to: String, id: Int64) throws
}

public struct MailTransportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public enum MailTransports {
    /// The transport `mail_transport` names; nil for none.
    public static func configured(_ config: Config) throws -> (any MailTransport)? {
        switch config.mailTransport {
        case .none: return nil
        case .file: return FileTransport(folder: config.mailPath)
        case .sendmail: return SendmailTransport(path: config.sendmailPath)
        case .smtp:
            var password: String?
            if let file = config.smtpPasswordFile {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw MailTransportError("smtp_password_file \(file): cannot be read")
                }
                password = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
            }
            return SMTPTransport(url: config.smtpURL ?? "", startTLS: config.smtpStartTLS, user: config.smtpUser, password: password,
                                 caFile: config.smtpCAFile)
        }
    }
}

/// `mail_transport = file`: one `<id>.eml` a message in `folder` (0700), each file 0600.
public struct FileTransport: MailTransport {
    public let folder: String

    public init(folder: String) { self.folder = folder }

    public func send(_ message: [UInt8], from: String, to: String, id: Int64) throws {
        if mkdir(folder, 0o700) != 0, errno != EEXIST {
            throw MailTransportError("mail_dir \(folder): cannot be created: \(String(cString: strerror(errno)))")
        }
        let path = folder + "/" + String(id).leftPadded(to: 8) + ".eml"
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw MailTransportError("\(temporary): cannot be created: \(String(cString: strerror(errno)))") }
        let written = message.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == message.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw MailTransportError("\(path): cannot be written")
        }
    }
}

/// `mail_transport = sendmail`: `sendmail -t -i` reads the recipient from the To header;
/// the envelope sender is mail_from. Any MTA (Postfix, Exim, msmtp, nullmailer) provides it.
public struct SendmailTransport: MailTransport {
    public let path: String

    public init(path: String) { self.path = path }

    public func send(_ message: [UInt8], from: String, to: String, id: Int64) throws {
        // A local submission takes LF line endings.
        var local: [UInt8] = []
        local.reserveCapacity(message.count)
        for (i, byte) in message.enumerated() where !(byte == 13 && i + 1 < message.count && message[i + 1] == 10) {
            local.append(byte)
        }
        let result: Subprocess.Result
        do { result = try Subprocess.run(path, ["-t", "-i", "-f", from], input: local, keepOutput: false) } catch {
            throw MailTransportError(error.description)
        }
        guard result.status == 0 else {
            let said = String(decoding: result.errors.prefix(300), as: UTF8.self).trimmingUnicodeWhitespace()
            throw MailTransportError("\(path) exited \(result.status)\(said.isEmpty ? "" : ": " + said)")
        }
    }
}
