/// One path operation, declared once for routing, security, the answer's shape and status,
/// and /openapi.json: what the handler returns is rendered through `response` with `status`.
public struct Route: Sendable {
    public typealias Handler = @Sendable (inout Context) throws -> Output

    public enum Body: Sendable {
        case none
        /// Form fields (urlencoded or multipart), e.g. the OAuth2 password form.
        case form(any RequestBody.Type)
        /// A JSON object validated against the model.
        case json(any RequestBody.Type)

        var isForm: Bool { if case .form = self { return true } else { return false } }

        var model: Model? {
            switch self {
            case .none: return nil
            case let .form(type), let .json(type): return type.model
            }
        }
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
        /// An HTML page.
        case html
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
    /// Other statuses the handler itself answers with `{"detail": …}` (the security
    /// requirement's and validation's are added by `answers`).
    public var errors: [Int]
    /// Other success statuses without a body (e.g. 204 where the caller may not read the record).
    public var alternatives: [Int]
    /// FastAPI's `include_in_schema`: false for the documents themselves (/openapi.json, /docs).
    public var includeInSchema = true
    public let handler: Handler
    /// Its index in the metrics sink's route labels, set when App is built.
    var metricsIndex = MetricsLayout.unmatchedRoute
    /// The route label of its metrics: the declared template, never the requested path.
    public var metricsLabel: String { "\(method) \(path)" }

    public init(
        _ method: String, _ path: String, name: String, security: SecurityRequirement? = nil,
        body: Body = .none, parameters: [Parameter] = [], status: Int = 200, response: ResponseBody = .any,
        errors: [Int] = [], alternatives: [Int] = [], handler: @escaping Handler
    ) {
        self.method = method
        self.path = path
        self.name = name
        self.security = security
        self.body = body
        self.parameters = parameters
        self.status = status
        self.response = response
        self.errors = errors
        self.alternatives = alternatives
        self.handler = handler
    }

    /// A route behind `security`, whose handler is handed the identity it established.
    public init(
        _ method: String, _ path: String, name: String, security: SecurityRequirement,
        body: Body = .none, parameters: [Parameter] = [], status: Int = 200, response: ResponseBody = .any,
        errors: [Int] = [], alternatives: [Int] = [],
        handler: @escaping @Sendable (inout Context, Identity) throws -> Output
    ) {
        self.init(method, path, name: name, security: security as SecurityRequirement?, body: body, parameters: parameters,
                  status: status, response: response, errors: errors, alternatives: alternatives) { context in
            try handler(&context, try context.requireIdentity())
        }
    }

    /// Every error status the route can answer, in order: its own, and its requirement's
    /// (401 always; 400 for an inactive user; 403 for roles or permissions, or for a
    /// cross-site request with the session cookie to a route that changes state; 503 when a
    /// password may have to be hashed and the main pool has no room).
    public var errorStatuses: [Int] {
        var all = Set(errors)
        if let security {
            all.insert(401)
            if security.activeUser { all.insert(400) }
            if !security.roles.isEmpty || !security.permissions.isEmpty || security.secondFactor || security.verifiedEmail {
                all.insert(403)
            }
            if !["GET", "HEAD"].contains(method) && security.schemes.contains(where: { $0 is SessionCookieScheme }) {
                all.insert(403)
            }
            if security.schemes.contains(where: { $0 is HTTPBasic }) { all.insert(503) }
        }
        return all.sorted()
    }
}

extension Route {
    /// This route, left out of /openapi.json.
    public func hiddenFromSchema() -> Route {
        var route = self
        route.includeInSchema = false
        return route
    }
}

/// What a handler answers: a value the route's response model renders, extra headers, and
/// the status when it is one of the route's `alternatives`.
public struct Output: Sendable {
    public var value: JSON?
    public var headers: Headers
    public var status: Int?
    /// A body that is no JSON (the sign-in page), sent as it is with its content type.
    public var page: (contentType: String, body: [UInt8])?

    public init(_ value: JSON? = nil, headers: Headers = Headers(), status: Int? = nil) {
        self.value = value
        self.headers = headers
        self.status = status
    }

    public static let empty = Output()

    public static func html(_ text: String, status: Int? = nil, headers: Headers = Headers()) -> Output {
        var output = Output(headers: headers, status: status)
        output.page = ("text/html; charset=utf-8", Array(text.utf8))
        return output
    }
}

/// A request body as a type: its model validates the input into pydantic's 422 entries,
/// and the value is built from what passed.
public protocol RequestBody {
    static var model: Model { get }
    init(_ fields: Validated)
}

extension Context {
    /// The body, validated by `B.model` from the form or the JSON the route declares.
    public func body<B: RequestBody>(_ type: B.Type) throws(HTTPError) -> B {
        if case .form = route?.body { return B(try B.model.validate(form: form)) }
        return B(try B.model.validate(json: json))
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
