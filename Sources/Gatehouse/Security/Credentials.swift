/// What a scheme found in a request, before anything is looked up.
public enum Credential: Sendable, Equatable {
    /// `Authorization: Bearer <token>` for OAuth2PasswordBearer.
    case bearerToken(String)
    /// `Authorization: <scheme> <credentials>` for HTTPBearer, handed to the route as is.
    case authorization(scheme: String, credentials: String)
    case basic(username: String, password: String)
    case apiKey(String)
    /// The browser's session cookie: `<session id>.<proof>`.
    case sessionCookie(String)
    /// The scheme's header is there but cannot be read: the scheme answers "Not authenticated".
    case malformed
}

/// How an identity was established; decides what it may do (a key cannot mint keys).
public enum CredentialKind: Sendable, Equatable {
    case token
    case basic
    case apiKey(id: String)
    /// A browser's session cookie, from the sign-in page.
    case sessionCookie
}

/// FastAPI's `get_authorization_scheme_param`: the scheme is what precedes the first
/// space, the parameter what follows it, stripped.
public enum AuthorizationHeader {
    public static func split(_ value: String?) -> (scheme: String, parameter: String) {
        guard let value, !value.isEmpty else { return ("", "") }
        if let space = asciiSpace(in: value) {
            let utf8 = value.utf8
            return (String(value[..<space]), space == utf8.endIndex ? "" : value[utf8.index(after: space)...].trimmingWhitespace())
        }
        guard let space = value.firstIndex(of: " ") else { return (value, "") }
        return (String(value[..<space]), value[value.index(after: space)...].trimmingWhitespace())
    }

    /// The parameter when the header's scheme is `scheme` (lowercase), compared as FastAPI's
    /// `scheme.lower()` does; nil for another scheme. Only a matching header's parameter is
    /// made into a string.
    static func parameter(_ value: String, ifScheme scheme: String) -> String? {
        guard let space = asciiSpace(in: value) else {
            let (found, parameter) = split(value)
            return found.lowercased() == scheme ? parameter : nil
        }
        let utf8 = value.utf8
        // The scheme is lowercase letters: a byte matches its letter in either case.
        guard utf8[..<space].elementsEqual(scheme.utf8, by: { $0 | 0x20 == $1 }) else { return nil }
        return space == utf8.endIndex ? "" : value[utf8.index(after: space)...].trimmingWhitespace()
    }

    /// Where the value's first space is, or its end when it has none, when the text up to it and
    /// the byte after it are ASCII: there the first space byte is the first " " Character (no
    /// mark can join it), and the rest is trimmed by bytes either way. nil for other text, which
    /// is split by Characters.
    private static func asciiSpace(in value: String) -> String.Index? {
        let utf8 = value.utf8
        let found = utf8.withContiguousStorageIfAvailable { bytes -> Int? in
            var i = 0
            while i < bytes.count, bytes[i] != UInt8(ascii: " ") {
                if bytes[i] >= 0x80 { return nil }
                i += 1
            }
            return i + 1 < bytes.count && bytes[i + 1] >= 0x80 ? nil : i
        }
        guard let offset = found ?? nil else { return nil }
        return utf8.index(utf8.startIndex, offsetBy: offset)
    }
}

/// One security scheme of `fastapi.security`: it finds its credential in a request,
/// knows its own 401, and describes itself for OpenAPI.
public protocol SecurityScheme: Sendable {
    /// The key under `components.securitySchemes` (FastAPI's default: the class name).
    var schemeName: String { get }
    /// nil when the request presents no credential for this scheme.
    func credential(in request: Request) -> Credential?
    var notAuthenticated: HTTPError { get }
    func openAPI(scopes: [(name: String, description: String)]) -> JSON
}

extension SecurityScheme {
    func challenge(_ value: String, _ detail: String = "Not authenticated") -> HTTPError {
        HTTPError(401, detail, headers: Headers([("www-authenticate", value)]))
    }
}
