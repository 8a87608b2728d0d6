/// One path operation, declared once for routing, security and /openapi.json.
public struct Route: Sendable {
    public typealias Handler = @Sendable (inout Context) throws -> Response

    public enum Body: Sendable {
        case none
        /// Form fields (urlencoded or multipart), e.g. the OAuth2 password form.
        case form(Model)
        /// A JSON object validated against the model.
        case json(Model)

        var isForm: Bool { if case .form = self { return true } else { return false } }
    }

    public struct Parameter: Sendable {
        public enum Location: String, Sendable { case path, query }
        public let name: String
        public let location: Location
        public let type: Model.FieldType
        public let defaultValue: JSON?

        public init(_ name: String, in location: Location, _ type: Model.FieldType, default defaultValue: JSON? = nil) {
            self.name = name
            self.location = location
            self.type = type
            self.defaultValue = defaultValue
        }
    }

    public enum ResponseBody: Sendable {
        /// `{}` schema: the handler returns free-form JSON.
        case any
        case model(Model)
        case list(Model)
        /// No content (204).
        case empty
    }

    public let method: String
    public let path: String
    /// The Python function name FastAPI derives the summary and operationId from.
    public let name: String
    public var security: SecurityRequirement?
    public var body: Body
    public var parameters: [Parameter]
    public var status: Int
    public var response: ResponseBody
    public let handler: Handler

    public init(
        _ method: String, _ path: String, name: String, security: SecurityRequirement? = nil,
        body: Body = .none, parameters: [Parameter] = [], status: Int = 200, response: ResponseBody = .any,
        handler: @escaping Handler
    ) {
        self.method = method
        self.path = path
        self.name = name
        self.security = security
        self.body = body
        self.parameters = parameters
        self.status = status
        self.response = response
        self.handler = handler
    }
}

extension Context {
    /// Path and query parameters validated as the route declares them (loc `["path"|"query", name]`).
    public func parameters() throws(HTTPError) -> Validated {
        var out = Validated()
        var issues: [ValidationIssue] = []
        let query = request.query
        for p in routeParameters {
            let raw = p.location == .path ? request.pathParameters[p.name] : query.first(p.name)
            guard let raw else {
                if let d = p.defaultValue { out.values[p.name] = d } else {
                    issues.append(.missing(.string(p.location.rawValue), .string(p.name)))
                }
                continue
            }
            do throws(ValidationIssues) {
                out.values[p.name] = try Model.check(.string(raw), p.type, loc: [.string(p.location.rawValue), .string(p.name)])
                out.present.insert(p.name)
            } catch {
                issues += error.issues
            }
        }
        if !issues.isEmpty { throw HTTPError.validation(issues) }
        return out
    }
}
