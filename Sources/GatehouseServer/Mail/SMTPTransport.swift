import CCurl
import Foundation

/// `mail_transport = smtp`: libcurl's SMTP client. `smtps://` speaks TLS from the start;
/// `smtp://` upgrades with STARTTLS and refuses a server that cannot (unless
/// `smtp_starttls = false`, for a relay on this machine). AUTH when a user is set. The
/// certificate and the host name are always checked, against the system's CAs or `smtp_ca_file`.
public struct SMTPTransport: MailTransport {
    public let url: String
    public let startTLS: Bool
    public let user: String?
    let password: String?
    public let caFile: String?

    public init(url: String, startTLS: Bool, user: String?, password: String?, caFile: String? = nil) {
        self.url = url
        self.startTLS = startTLS
        self.user = user
        self.password = password
        self.caFile = caFile
    }

    /// Where libcurl reads the message from.
    final class Source {
        let bytes: [UInt8]
        var offset = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
    }

    static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public func send(_ message: [UInt8], from: String, to: String, id: Int64) throws {
        _ = SMTPTransport.globalInit
        guard let curl = curl_easy_init() else { throw MailTransportError("smtp: libcurl could not start") }
        defer { curl_easy_cleanup(curl) }
        let recipients = curl_slist_append(nil, "<\(to)>")
        defer { curl_slist_free_all(recipients) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }
        let source = Unmanaged.passRetained(Source(message))
        defer { source.release() }

        gh_curl_setopt_string(curl, CURLOPT_URL, url)
        gh_curl_setopt_string(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        gh_curl_setopt_string(curl, CURLOPT_MAIL_FROM, "<\(from)>")
        gh_curl_setopt_pointer(curl, CURLOPT_MAIL_RCPT, UnsafeMutableRawPointer(recipients))
        gh_curl_setopt_long(curl, CURLOPT_UPLOAD, 1)
        gh_curl_setopt_read(curl) { buffer, size, count, data in
            guard let buffer, let data else { return 0 }
            let source = Unmanaged<Source>.fromOpaque(data).takeUnretainedValue()
            let n = min(size * count, source.bytes.count - source.offset)
            source.bytes.withUnsafeBufferPointer { all in
                UnsafeMutableRawPointer(buffer).copyMemory(from: all.baseAddress! + source.offset, byteCount: n)
            }
            source.offset += n
            return n
        }
        gh_curl_setopt_pointer(curl, CURLOPT_READDATA, source.toOpaque())
        gh_curl_setopt_pointer(curl, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))
        gh_curl_setopt_long(curl, CURLOPT_NOSIGNAL, 1)
        gh_curl_setopt_long(curl, CURLOPT_CONNECTTIMEOUT, 10)
        gh_curl_setopt_long(curl, CURLOPT_TIMEOUT, 60)
        if url.hasPrefix("smtp://"), startTLS { gh_curl_setopt_long(curl, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)) }
        if let caFile { gh_curl_setopt_string(curl, CURLOPT_CAINFO, caFile) }
        if let user {
            gh_curl_setopt_string(curl, CURLOPT_USERNAME, user)
            gh_curl_setopt_string(curl, CURLOPT_PASSWORD, password ?? "")
        }
        let code = curl_easy_perform(curl)
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            throw MailTransportError("smtp: " + (detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail))
        }
    }
}
