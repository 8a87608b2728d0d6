import CCurl
import FoundationEssentials
import Glibc

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

    public func send(_ message: [UInt8], from: String, to: String, id: Int64) throws {
        let curl = try LibCurl.shared()
        guard let handle = curl.easyInit() else { throw MailTransportError("smtp: libcurl could not start") }
        defer { curl.easyCleanup(handle) }
        let recipients = curl.slistAppend(nil, "<\(to)>")
        defer { curl.slistFreeAll(recipients) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }
        let source = Unmanaged.passRetained(Source(message))
        defer { source.release() }
        let setopt = curl.setopt
        func set(_ option: CURLoption, _ value: String) { gh_curl_setopt_string(setopt, handle, option, value) }
        func set(_ option: CURLoption, _ value: Int) { gh_curl_setopt_long(setopt, handle, option, value) }
        func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) { gh_curl_setopt_pointer(setopt, handle, option, pointer) }

        set(CURLOPT_URL, url)
        set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        set(CURLOPT_MAIL_FROM, "<\(from)>")
        set(CURLOPT_MAIL_RCPT, pointer: UnsafeMutableRawPointer(recipients))
        set(CURLOPT_UPLOAD, 1)
        gh_curl_setopt_read(setopt, handle) { buffer, size, count, data in
            guard let buffer, let data else { return 0 }
            let source = Unmanaged<Source>.fromOpaque(data).takeUnretainedValue()
            let n = min(size * count, source.bytes.count - source.offset)
            source.bytes.withUnsafeBufferPointer { all in
                UnsafeMutableRawPointer(buffer).copyMemory(from: all.baseAddress! + source.offset, byteCount: n)
            }
            source.offset += n
            return n
        }
        set(CURLOPT_READDATA, pointer: source.toOpaque())
        set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_CONNECTTIMEOUT, 10)
        set(CURLOPT_TIMEOUT, 60)
        if url.hasPrefix("smtp://"), startTLS { set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)) }
        if let caFile { set(CURLOPT_CAINFO, caFile) }
        if let user {
            set(CURLOPT_USERNAME, user)
            set(CURLOPT_PASSWORD, password ?? "")
        }
        let code = curl.easyPerform(handle)
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            throw MailTransportError("smtp: " + (detail.isEmpty ? curl.easyStrerror(code).map { String(cString: $0) } ?? "error \(code)" : detail))
        }
    }
}
