/// `OAuth2PasswordBearer(tokenUrl="token", scopes=…)`: a bearer token in Authorization.
public struct OAuth2PasswordBearer: SecurityScheme {
    public let tokenPath: String
    public var schemeName: String { "OAuth2PasswordBearer" }

    public init(tokenPath: String = "token") { self.tokenPath = tokenPath }

    public func credential(in request: Request) -> Credential? {
        guard let header = request.headers["authorization"], !header.isEmpty,
              let token = AuthorizationHeader.parameter(header, ifScheme: "bearer") else { return nil }
        return .bearerToken(token)
    }

    public var notAuthenticated: HTTPError { challenge("Bearer") }

    public func openAPI(scopes: [(name: String, description: String)]) -> JSON {
        .object([
            ("type", "oauth2"),
            ("flows", .object([
                ("password", .object([
                    ("scopes", .object(scopes.map { ($0.name, .string($0.description)) })),
                    ("tokenUrl", .string(tokenPath)),
                ])),
            ])),
        ])
    }
}
