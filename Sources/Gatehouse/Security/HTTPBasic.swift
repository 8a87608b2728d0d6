/// `HTTPBasic(realm=…)` (RFC 7617): strict base64 with padding, ASCII only, split at the first ":".
public struct HTTPBasic: SecurityScheme {
    public let realm: String?
    public var schemeName: String { "HTTPBasic" }

    public init(realm: String? = nil) { self.realm = realm }

    public func credential(in request: Request) -> Credential? {
        let header = request.headers["authorization"]
        let (scheme, parameter) = AuthorizationHeader.split(header)
        guard let header, !header.isEmpty, scheme.lowercased() == "basic" else { return nil }
        return HTTPBasic.decode(parameter)
    }

    static func decode(_ parameter: String) -> Credential {
        guard let bytes = Base64.decode(parameter), bytes.allSatisfy({ $0 < 0x80 }) else { return .malformed }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return .malformed }
        return .basic(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }

    public var challengeValue: String {
        guard let realm else { return "Basic" }
        return "Basic realm=\"\(realm.replacing("\\", with: "\\\\").replacing("\"", with: "\\\""))\""
    }

    public var notAuthenticated: HTTPError { challenge(challengeValue) }
    public var incorrectCredentials: HTTPError { challenge(challengeValue, "Incorrect username or password") }

    public func openAPI(scopes: [(name: String, description: String)]) -> JSON {
        .object([("type", "http"), ("scheme", "basic")])
    }
}
