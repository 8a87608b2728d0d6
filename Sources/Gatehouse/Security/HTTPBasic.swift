/// `HTTPBasic(realm=…)` (RFC 7617): strict base64 with padding, ASCII only, split at the first ":".
public struct HTTPBasic: SecurityScheme {
    public let realm: String?
    public var schemeName: String { "HTTPBasic" }

    public init(realm: String? = nil) { self.realm = realm }

    public func credential(in request: Request) -> Credential? {
        guard let header = request.headers["authorization"], !header.isEmpty,
              let parameter = AuthorizationHeader.parameter(header, ifScheme: "basic") else { return nil }
        return HTTPBasic.decode(parameter)
    }

    static func decode(_ parameter: String) -> Credential {
        guard let bytes = Base64.decode(parameter), bytes.allSatisfy({ $0 < 0x80 }),
              let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return .malformed }
        return .basic(username: String(decoding: bytes[..<colon], as: UTF8.self),
                      password: String(decoding: bytes[(colon + 1)...], as: UTF8.self))
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
