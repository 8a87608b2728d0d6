/// `/openapi.json`, derived from the route table the way FastAPI derives it from its
/// path operations: operationIds, summaries, parameters, bodies, responses, security.
/// FastAPI passes the document through its `OpenAPI` pydantic model before serving it,
/// which leaves two marks reproduced here: members whose value is null are dropped
/// (`exclude_none`, so `default: None` never shows) and numeric bounds inside
/// `components.schemas` become floats (`Schema.maximum: float`), while parameter
/// schemas keep them as integers.
enum OpenAPI {
    static func document(for app: App, prefix: String) -> JSON {
        var paths: [(String, JSON)] = []
        var schemas: [String: JSON] = [:]
        var securitySchemes: [(String, JSON)] = []
        let scopes = app.config.scopes

        for route in app.routes where route.includeInSchema {
            let path = PathPattern(route.path).openAPIPath
            let operation = self.operation(route, path: path, schemas: &schemas)
            if let i = paths.firstIndex(where: { $0.0 == path }), case let .object(ops) = paths[i].1 {
                paths[i].1 = .object(ops + [(route.method.lowercased(), operation)])
            } else {
                paths.append((path, .object([(route.method.lowercased(), operation)])))
            }
            for scheme in route.security?.schemes ?? [] where !securitySchemes.contains(where: { $0.0 == scheme.schemeName }) {
                securitySchemes.append((scheme.schemeName, scheme.openAPI(scopes: scopes)))
            }
        }
        var components: [(String, JSON)] = [("schemas", .object(schemas.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))]
        if !securitySchemes.isEmpty { components.append(("securitySchemes", .object(securitySchemes))) }
        var doc: [(String, JSON)] = [
            ("openapi", "3.1.0"),
            ("info", .object([("title", "Gatehouse"), ("version", .string(Version.current))])),
        ]
        doc += [("paths", .object(paths)), ("components", .object(components))]
        // FastAPI adds the ASGI root_path (nginx's stripped prefix) as the only server.
        let rootPath = String(prefix.reversed().drop { $0 == "/" }.reversed())
        if !rootPath.isEmpty { doc.append(("servers", [.object([("url", .string(rootPath))])])) }
        return droppingNullMembers(.object(doc))
    }

    static func operation(_ route: Route, path: String, schemas: inout [String: JSON]) -> JSON {
        let operationID = "\(route.name)\(path)".map { $0.isLetter || $0.isNumber || $0 == "_" ? String($0) : "_" }.joined()
            + "_" + route.method.lowercased()
        var op: [(String, JSON)] = [("summary", .string(title(route.name))), ("operationId", .string(operationID))]
        if !route.parameters.isEmpty {
            op.append(("parameters", .array(route.parameters.map { p in
                var schema = fieldSchema(p.type, floatBounds: false, schemas: &schemas)
                if let d = p.defaultValue, case let .object(m) = schema { schema = .object(m + [("default", d)]) }
                if case let .object(m) = schema { schema = .object(m + [("title", .string(title(p.name)))]) }
                return .object([
                    ("name", .string(p.name)), ("in", .string(p.location.rawValue)),
                    ("required", .bool(p.defaultValue == nil)), ("schema", schema),
                ])
            })))
        }
        if let model = route.body.model {
            let media: String
            if case .form = route.body { media = "application/x-www-form-urlencoded" } else { media = "application/json" }
            schemas[model.name] = modelSchema(model, schemas: &schemas)
            op.append(("requestBody", .object([
                ("content", .object([(media, .object([("schema", ref(model.name))]))])),
                ("required", true),
            ])))
        }
        var responses: [(String, JSON)] = []
        let success: JSON
        switch route.response {
        case .empty:
            success = .object([("description", "Successful Response")])
        case .html:
            success = .object([
                ("description", "Successful Response"),
                ("content", .object([("text/html", .object([("schema", .object([("type", "string")]))]))])),
            ])
        case .any:
            success = jsonResponse(.object([]))
        case let .model(model):
            schemas[model.name] = modelSchema(model, schemas: &schemas)
            success = jsonResponse(ref(model.name))
        case let .list(model):
            schemas[model.name] = modelSchema(model, schemas: &schemas)
            success = jsonResponse(.object([
                ("type", "array"), ("items", ref(model.name)),
                ("title", .string(title("Response_\(operationID)"))),
            ]))
        }
        responses.append((String(route.status), success))
        // FastAPI's `responses={…}`: after the main status, content before description.
        for status in route.alternatives {
            responses.append((String(status), .object([("description", .string(HTTPStatus.reason(status)))])))
        }
        for status in route.errorStatuses {
            schemas[Models.httpError.name] = modelSchema(Models.httpError, schemas: &schemas)
            responses.append((String(status), .object([
                ("content", .object([("application/json", .object([("schema", ref(Models.httpError.name))]))])),
                ("description", .string(HTTPStatus.reason(status))),
            ])))
        }
        if !route.parameters.isEmpty || !isNone(route.body) {
            schemas["HTTPValidationError"] = httpValidationError
            schemas["ValidationError"] = validationError
            responses.append(("422", .object([
                ("description", "Validation Error"),
                ("content", .object([("application/json", .object([("schema", ref("HTTPValidationError"))]))])),
            ])))
        }
        op.append(("responses", .object(responses)))
        if let security = route.security {
            // FastAPI 0.165 gives a `Security(…, scopes=…)`'s scopes to every scheme under it,
            // not only to OAuth2 ones; here too a key or a password is held to the same scopes.
            op.append(("security", .array(security.schemes.map { scheme in
                .object([(scheme.schemeName, .strings(security.scopes))])
            })))
        }
        return .object(op)
    }

    static func isNone(_ body: Route.Body) -> Bool { if case .none = body { return true } else { return false } }

    static func jsonResponse(_ schema: JSON) -> JSON {
        .object([
            ("description", "Successful Response"),
            ("content", .object([("application/json", .object([("schema", schema)]))])),
        ])
    }

    static func ref(_ name: String) -> JSON { .object([("$ref", .string("#/components/schemas/\(name)"))]) }

    /// pydantic's and FastAPI's title for a name: Python's `name.title().replace("_", " ")`
    /// (a letter is upper-cased after a non-letter, lower-cased after a letter).
    static func title(_ name: String) -> String {
        var out = ""
        var afterLetter = false
        for c in name {
            if c == "_" { out.append(" ") } else { out += afterLetter ? c.lowercased() : c.uppercased() }
            afterLetter = c.isCased
        }
        return out
    }

    /// FastAPI's `jsonable_encoder(…, exclude_none=True)`: object members that are null go.
    static func droppingNullMembers(_ json: JSON) -> JSON {
        switch json {
        case let .object(members): return .object(members.filter { !$0.1.isNull }.map { ($0.0, droppingNullMembers($0.1)) })
        case let .array(items): return .array(items.map(droppingNullMembers))
        default: return json
        }
    }

    static func modelSchema(_ model: Model, schemas: inout [String: JSON]) -> JSON {
        var properties: [(String, JSON)] = []
        for field in model.fields {
            guard case var .object(schema) = fieldSchema(field.type, floatBounds: true, schemas: &schemas) else { continue }
            if let format = field.format { schema.append(("format", .string(format))) }
            schema.append(("title", .string(title(field.name))))
            if let d = field.defaultValue { schema.append(("default", d)) }
            properties.append((field.name, .object(schema)))
        }
        var out: [(String, JSON)] = [("properties", .object(properties)), ("type", "object")]
        let required = model.fields.filter(\.isRequired).map(\.name)
        if !required.isEmpty { out.append(("required", .strings(required))) }
        out.append(("title", .string(model.name)))
        return .object(out)
    }

    /// `floatBounds`: write minimum/maximum as floats, as FastAPI does in components.schemas.
    static func fieldSchema(_ type: Model.FieldType, floatBounds: Bool, schemas: inout [String: JSON]) -> JSON {
        func bound(_ n: Int) -> JSON { floatBounds ? .double(Double(n)) : .int(n) }
        switch type {
        case let .string(pattern, minLength, maxLength):
            var s: [(String, JSON)] = [("type", "string")]
            if let maxLength { s.append(("maxLength", .int(maxLength))) }
            if let minLength { s.append(("minLength", .int(minLength))) }
            if let pattern { s.append(("pattern", .string(pattern))) }
            return .object(s)
        case let .int(minimum, maximum):
            var s: [(String, JSON)] = [("type", "integer")]
            if let maximum { s.append(("maximum", bound(maximum))) }
            if let minimum { s.append(("minimum", bound(minimum))) }
            return .object(s)
        case .bool: return .object([("type", "boolean")])
        case .dateTime: return .object([("type", "string"), ("format", "date-time")])
        case let .array(inner):
            return .object([("items", fieldSchema(inner, floatBounds: floatBounds, schemas: &schemas)), ("type", "array")])
        case let .optional(inner):
            return .object([("anyOf", [fieldSchema(inner, floatBounds: floatBounds, schemas: &schemas), .object([("type", "null")])])])
        case let .model(model):
            schemas[model.name] = modelSchema(model, schemas: &schemas)
            return ref(model.name)
        }
    }

    static let httpValidationError: JSON = .object([
        ("properties", .object([("detail", .object([
            ("items", ref("ValidationError")), ("type", "array"), ("title", "Detail"),
        ]))])),
        ("type", "object"), ("title", "HTTPValidationError"),
    ])

    static let validationError: JSON = .object([
        ("properties", .object([
            ("loc", .object([
                ("items", .object([("anyOf", [.object([("type", "string")]), .object([("type", "integer")])])])),
                ("type", "array"), ("title", "Location"),
            ])),
            ("msg", .object([("type", "string"), ("title", "Message")])),
            ("type", .object([("type", "string"), ("title", "Error Type")])),
            ("input", .object([("title", "Input")])),
            ("ctx", .object([("type", "object"), ("title", "Context")])),
        ])),
        ("type", "object"), ("required", ["loc", "msg", "type"]), ("title", "ValidationError"),
    ])
}
