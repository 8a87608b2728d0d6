import CCurl
import Gatehouse
import Glibc

/// libcurl, opened with dlopen when the first message goes out by SMTP. Linked, it would bring
/// a dozen libraries (nghttp2, libssh2, Kerberos, LDAP…) into every process, and the dynamic
/// loader's work into every CGI request and worker start, for mail only the master's delivery
/// pass sends. The header's types and constants come from CCurl; its functions from here.
struct LibCurl: @unchecked Sendable {
    let globalInit: @convention(c) (Int) -> CURLcode
    let easyInit: @convention(c) () -> UnsafeMutableRawPointer?
    let easyCleanup: @convention(c) (UnsafeMutableRawPointer?) -> Void
    let easyPerform: @convention(c) (UnsafeMutableRawPointer?) -> CURLcode
    let easyStrerror: @convention(c) (CURLcode) -> UnsafePointer<CChar>?
    let slistAppend: @convention(c) (UnsafeMutablePointer<curl_slist>?, UnsafePointer<CChar>?) -> UnsafeMutablePointer<curl_slist>?
    let slistFreeAll: @convention(c) (UnsafeMutablePointer<curl_slist>?) -> Void
    /// curl_easy_setopt, called through CCurl's typed wrappers (it is variadic).
    let setopt: UnsafeMutableRawPointer

    static let soname = "libcurl.so.4"
    private static let loaded: Result<LibCurl, MailTransportError> = Result { () throws(MailTransportError) in
        let library = try LibCurl()
        _ = library.globalInit(Int(CURL_GLOBAL_DEFAULT))
        return library
    }

    /// The library, loaded (and initialised) once per process; a clear error when it is not installed.
    static func shared() throws(MailTransportError) -> LibCurl { try loaded.get() }

    private init() throws(MailTransportError) {
        let library = try SharedLibrary(LibCurl.soname,
                                        unavailable: { MailTransportError("smtp: cannot load \(LibCurl.soname) (Debian's libcurl4) for mail_transport = smtp: \($0)") },
                                        missing: { MailTransportError("smtp: \(LibCurl.soname) has no \($0)") })
        func symbol<T>(_ name: String) throws(MailTransportError) -> T { try library.symbol(name) }
        globalInit = try symbol("curl_global_init")
        easyInit = try symbol("curl_easy_init")
        easyCleanup = try symbol("curl_easy_cleanup")
        easyPerform = try symbol("curl_easy_perform")
        easyStrerror = try symbol("curl_easy_strerror")
        slistAppend = try symbol("curl_slist_append")
        slistFreeAll = try symbol("curl_slist_free_all")
        setopt = try library.address("curl_easy_setopt")
    }
}
