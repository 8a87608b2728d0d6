/// `/openapi.json`, derived from the route table the way FastAPI derives it from its
/// path operations: operationIds, summaries, parameters, bodies, responses, security.
enum OpenAPI {
    static func document(for app: App, prefix: String) -> JSON {
        var paths: [(String, JSON)] = []
        var schemas: [String: JSON] = [:]
        var securitySchemes: [(String, JSON)] = []
        let scopes = app.config.scopes

        for route in app.routes where route.name != "openapi" {
            let path = PathPattern(route.path).openAPIPath
            let operation = self.operation(route, path: path, schemas: &schemas)
            if let i = paths.firstIndex(where: { $0.0 == path }), case let .object(ops) = paths[i].1 {
                paths[i].1 = .object(ops + [(route.method.lowercased(), operation)])
            } else {
                paths.append((path, .object([(route.method.lowercased(), operation)])))
            }
            for scheme in route.security?.schemes ?? [] where !securitySchemes.contains(where: { $0.0 == scheme.schemeName }) {
                securitySchemes.append((scheme.schemeName, scheme.openAPI(tokenURL: "token", scopes: scopes)))
            }
        }
        var components: [(String, JSON)] = [("schemas", .object(schemas.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))]
        if !securitySchemes.isEmpty { components.append(("securitySchemes", .object(securitySchemes))) }
        var doc: [(String, JSON)] = [
            ("openapi", "3.1.0"),
            ("info", .object([("title", "Gatehouse"), ("version", .string(Version.current))])),
        ]
        if !prefix.isEmpty { doc.append(("servers", [.object([("url", .string(prefix))])])) }
        doc += [("paths", .object(paths)), ("components", .object(components))]
        return .object(doc)
    }

    static func operation(_ route: Route, path: String, schemas: inout [String: JSON]) -> JSON {
        let operationID = "\(route.name)\(path)".map { $0.isLetter || $0.isNumber || $0 == "_" ? String($0) : "_" }.joined()
            + "_" + route.method.lowercased()
        var op: [(String, JSON)] = [("summary", .string(title(route.name))), ("operationId", .string(operationID))]
        if !route.parameters.isEmpty {
            op.append(("parameters", .array(route.parameters.map { p in
                var schema = fieldSchema(p.type, schemas: &schemas)
                if let d = p.defaultValue, case let .object(m) = schema { schema = .object(m + [("default", d)]) }
                if case let .object(m) = schema { schema = .object(m + [("title", .string(title(p.name)))]) }
                return .object([
                    ("name", .string(p.name)), ("in", .string(p.location.rawValue)),
                    ("required", .bool(p.defaultValue == nil)), ("schema", schema),
                ])
            })))
        }
        switch route.body {
        case .none: break
        case let .form(model), let .json(model):
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
            op.append(("security", .array(security.schemes.map { scheme in
                .object([(scheme.schemeName, .strings(scheme is OAuth2PasswordBearer ? security.scopes : []))])
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

    /// pydantic's title for a field name: words split on "_", each capitalised.
    static func title(_ name: String) -> String {
        name.split(separator: "_", omittingEmptySubsequences: false)
            .map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
    }

    static func modelSchema(_ model: Model, schemas: inout [String: JSON]) -> JSON {
        var properties: [(String, JSON)] = []
        for field in model.fields {
            guard case var .object(schema) = fieldSchema(field.type, schemas: &schemas) else { continue }
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

    static func fieldSchema(_ type: Model.FieldType, schemas: inout [String: JSON]) -> JSON {
        switch type {
        case let .string(pattern, minLength, maxLength):
            var s: [(String, JSON)] = [("type", "string")]
            if let maxLength { s.append(("maxLength", .int(maxLength))) }
            if let minLength { s.append(("minLength", .int(minLength))) }
            if let pattern { s.append(("pattern", .string(pattern))) }
            return .object(s)
        case let .int(minimum, maximum):
            var s: [(String, JSON)] = [("type", "integer")]
            if let maximum { s.append(("maximum", .int(maximum))) }
            if let minimum { s.append(("minimum", .int(minimum))) }
            return .object(s)
        case .bool: return .object([("type", "boolean")])
        case .dateTime: return .object([("type", "string"), ("format", "date-time")])
        case let .array(inner): return .object([("items", fieldSchema(inner, schemas: &schemas)), ("type", "array")])
        case let .optional(inner):
            return .object([("anyOf", [fieldSchema(inner, schemas: &schemas), .object([("type", "null")])])])
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
        ])),
        ("type", "object"), ("required", ["loc", "msg", "type"]), ("title", "ValidationError"),
    ])
}

public enum Version {
    public static let current = "0.1.0"
}
