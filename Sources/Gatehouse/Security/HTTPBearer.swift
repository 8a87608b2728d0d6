/// `HTTPBearer()`: any `Bearer` credentials, opaque, handed to the route as they came.
public struct HTTPBearer: SecurityScheme {
    public var schemeName: String { "HTTPBearer" }

    public init() {}

    public func credential(in request: Request) -> Credential? {
        let header = request.headers["authorization"]
        let (scheme, credentials) = AuthorizationHeader.split(header)
        guard let header, !header.isEmpty, !scheme.isEmpty, !credentials.isEmpty,
              scheme.lowercased() == "bearer" else { return nil }
        return .authorization(scheme: scheme, credentials: credentials)
    }

    public var notAuthenticated: HTTPError { challenge("Bearer") }

    public func openAPI(scopes: [(name: String, description: String)]) -> JSON {
        .object([("type", "http"), ("scheme", "bearer")])
    }
}
