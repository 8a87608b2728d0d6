/// What a scheme found in a request, before anything is looked up.
public enum Credential: Sendable, Equatable {
    /// `Authorization: Bearer <token>` for OAuth2PasswordBearer.
    case bearerToken(String)
    /// `Authorization: <scheme> <credentials>` for HTTPBearer, handed to the route as is.
    case authorization(scheme: String, credentials: String)
    case basic(username: String, password: String)
    case apiKey(String)
    /// The scheme's header is there but cannot be read: the scheme answers "Not authenticated".
    case malformed
}

/// How an identity was established; decides what it may do (a key cannot mint keys).
public enum CredentialKind: Sendable, Equatable {
    case token
    case basic
    case apiKey(id: String)
}

/// FastAPI's `get_authorization_scheme_param`: the scheme is what precedes the first
/// space, the parameter what follows it, stripped.
public enum AuthorizationHeader {
    public static func split(_ value: String?) -> (scheme: String, parameter: String) {
        guard let value, !value.isEmpty else { return ("", "") }
        guard let space = value.firstIndex(of: " ") else { return (value, "") }
        return (String(value[..<space]), value[value.index(after: space)...].trimmingWhitespace())
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
