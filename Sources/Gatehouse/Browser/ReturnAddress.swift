/// Where the sign-in page sends a browser back to (`rd`): a path on this site, or a URL
/// whose host is in `allowed_redirect_hosts`. Anything else — `//evil`, `/\evil`,
/// `https:evil`, an encoded slash, a tab, userinfo, a line break — goes to `/`.
package enum ReturnAddress {
    package static let fallback = "/"
    static let maxLength = 2048

    package static func validated(_ rd: String, allowedHosts: [String]) -> String {
        let bytes = Array(rd.utf8)
        guard !bytes.isEmpty, bytes.count <= maxLength, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") })
        else { return fallback }
        if bytes[0] == UInt8(ascii: "/") {
            // A second slash, once or after decoding, makes it protocol-relative: another host.
            let decoded = Array(PercentEncoding.decode(rd).utf8)
            for form in [bytes, decoded] where form.count > 1 && (form[1] == UInt8(ascii: "/") || form[1] == UInt8(ascii: "\\")) {
                return fallback
            }
            guard decoded.allSatisfy({ $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "\\") }) else { return fallback }
            return rd
        }
        for scheme in ["https://", "http://"] where rd.lowercased().hasPrefix(scheme) {
            let rest = rd.dropFirst(scheme.count)
            let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            guard !authority.contains("@"), let host = HostHeader.validated(String(authority)) else { return fallback }
            let name = host.split(separator: ":").first.map { $0.lowercased() } ?? ""
            return allowedHosts.contains(name) ? rd : fallback
        }
        return fallback
    }
}
