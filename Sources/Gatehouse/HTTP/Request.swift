/// One HTTP request as the web server hands it over (CGI/FastCGI meta-variables
/// plus body). Free of FastCGI so that tests can build one directly.
public struct Request: Sendable {
    public var method: String
    /// The path below the mount point (PATH_INFO), always starting with "/".
    public var path: String
    /// The mount prefix (SCRIPT_NAME), "" when mounted at "/"; never ends with "/".
    public var scriptName: String
    /// The query string exactly as sent, without "?".
    public var rawQuery: String
    public var headers: Headers
    public var body: [UInt8]
    /// "https" when the web server says HTTPS is on.
    public var scheme: String
    public var remoteAddress: String
    /// SERVER_NAME and SERVER_PORT: who the web server says it is, whatever Host says.
    public var serverName: String
    public var serverPort: String
    /// nginx's $request_id (REQUEST_ID), which ties an audit row to the access log; may be empty.
    public var requestID: String
    /// Filled by the router.
    public var pathParameters: [String: String] = [:]
    /// Set by the adapter when CONTENT_LENGTH is over the limit; the body was not read.
    public var bodyTooLarge = false

    public init(
        method: String, path: String, scriptName: String = "", rawQuery: String = "",
        headers: Headers = Headers(), body: [UInt8] = [], scheme: String = "http",
        remoteAddress: String = "", serverName: String = "localhost", serverPort: String = "",
        requestID: String = ""
    ) {
        self.method = method
        self.path = path.hasPrefix("/") ? path : "/" + path
        self.scriptName = scriptName.hasSuffix("/") ? String(scriptName.dropLast()) : scriptName
        self.rawQuery = rawQuery
        self.headers = headers
        self.body = body
        self.scheme = scheme
        self.remoteAddress = remoteAddress
        self.serverName = serverName
        self.serverPort = serverPort
        self.requestID = requestID
    }

    /// `SERVER_NAME[:SERVER_PORT]`, the port left out when it is the scheme's default.
    public var serverAuthority: String {
        let name = HostHeader.validated(serverName) ?? "localhost"
        let defaultPort = scheme == "https" ? "443" : "80"
        guard !serverPort.isEmpty, serverPort != defaultPort, serverPort.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return name
        }
        return name + ":" + serverPort
    }

    public var query: QueryParameters { QueryParameters(parsing: rawQuery) }

    public var cookies: [String: String] { Cookies.parse(headers.values("cookie")) }

    /// The media type of the body, lowercased, without parameters.
    public var mediaType: String {
        guard let ct = headers["content-type"] else { return "" }
        return MediaType(ct).type
    }
}

/// A Content-Type split into its type and parameters (RFC 9110 §8.3.1).
public struct MediaType: Sendable {
    public var type: String
    public var parameters: [String: String]

    public init(_ value: String) {
        let parts = HeaderTokens.splitOutsideQuotes(value, separator: ";")
        type = (parts.first ?? "").trimmingWhitespace().lowercased()
        var params: [String: String] = [:]
        for p in parts.dropFirst() {
            guard let eq = p.firstIndex(of: "=") else { continue }
            let name = p[..<eq].trimmingWhitespace().lowercased()
            var v = p[p.index(after: eq)...].trimmingWhitespace()
            if v.hasPrefix("\"") && v.hasSuffix("\"") && v.count >= 2 {
                v = HeaderTokens.unquote(String(v.dropFirst().dropLast()))
            }
            if params[name] == nil { params[name] = v }
        }
        parameters = params
    }
}

enum HeaderTokens {
    static func splitOutsideQuotes(_ s: String, separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for c in s {
            if escaped { current.append(c); escaped = false; continue }
            if quoted && c == "\\" { current.append(c); escaped = true; continue }
            if c == "\"" { quoted.toggle() }
            if c == separator && !quoted { parts.append(current); current = ""; continue }
            current.append(c)
        }
        parts.append(current)
        return parts
    }

    static func unquote(_ s: String) -> String {
        var out = ""
        var escaped = false
        for c in s {
            if escaped { out.append(c); escaped = false } else if c == "\\" { escaped = true } else { out.append(c) }
        }
        return out
    }
}

extension StringProtocol {
    /// Trims the HTTP whitespace set (SP, HTAB) plus CR/LF.
    public func trimmingWhitespace() -> String {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
        let text = Substring(self)
        let utf8 = text.utf8
        guard let first = utf8.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = utf8.lastIndex(where: { !isSpace($0) })!
        // Only ASCII bytes are cut, so the rest is whole UTF-8.
        return String(decoding: utf8[first...last], as: UTF8.self)
    }
}

/// A Host header that may be written back into a URL: RFC 3986's host (a name of
/// unreserved characters, or a bracketed IPv6 literal) and an optional port. Anything
/// else (userinfo, a path, control bytes, sub-delimiters) is refused.
public enum HostHeader {
    public static func validated(_ value: String) -> String? {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= 262 else { return nil }
        var hostEnd = bytes.count
        if bytes[0] == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close > 1,
                  bytes[1..<close].allSatisfy({ isHex($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
            else { return nil }
            hostEnd = close + 1
        } else {
            if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) { hostEnd = colon }
            guard hostEnd > 0, hostEnd <= 253, bytes[..<hostEnd].allSatisfy(isNameByte) else { return nil }
        }
        if hostEnd < bytes.count {
            let port = bytes[(hostEnd + 1)...]
            guard bytes[hostEnd] == UInt8(ascii: ":"), (1...5).contains(port.count),
                  port.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        }
        return value
    }

    static func isHex(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x46).contains(b) || (0x61...0x66).contains(b)
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
            || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "~")
    }
}
