/// `APIKeyHeader` / `APIKeyQuery` / `APIKeyCookie`: a key by name in one place of the request.
public struct APIKeyScheme: SecurityScheme {
    public enum Location: String, Sendable { case header, query, cookie }

    public let location: Location
    public let name: String

    public init(_ location: Location, name: String) {
        self.location = location
        self.name = name
    }

    public var schemeName: String {
        switch location {
        case .header: return "APIKeyHeader"
        case .query: return "APIKeyQuery"
        case .cookie: return "APIKeyCookie"
        }
    }

    public func credential(in request: Request) -> Credential? {
        let value: String?
        switch location {
        case .header: value = request.headers[name]
        case .query: value = request.query[name]
        case .cookie: value = request.cookies[name]
        }
        guard let value, !value.isEmpty else { return nil }
        return .apiKey(value)
    }

    public var notAuthenticated: HTTPError { challenge("APIKey") }

    public func openAPI(scopes: [(name: String, description: String)]) -> JSON {
        .object([("type", "apiKey"), ("in", .string(location.rawValue)), ("name", .string(name))])
    }
}
