/// A body or response model declared once, as a pydantic model would be: it validates
/// input into pydantic v2's 422 entries and describes itself for /openapi.json.
public struct Model: Sendable {
    public indirect enum FieldType: Sendable {
        case string(pattern: String? = nil, minLength: Int? = nil, maxLength: Int? = nil)
        case int(minimum: Int? = nil, maximum: Int? = nil)
        case bool
        case array(FieldType)
        case optional(FieldType)
        case model(Model)
        /// A Unix time written as an ISO 8601 string (pydantic's datetime).
        case dateTime
    }

    public struct Field: Sendable {
        public let name: String
        public let type: FieldType
        /// nil: required. A default makes the field optional with that value.
        public let defaultValue: JSON?
        /// An OpenAPI `format` hint, e.g. "password".
        public let format: String?

        public init(_ name: String, _ type: FieldType, default defaultValue: JSON? = nil, format: String? = nil) {
            self.name = name
            self.type = type
            self.defaultValue = defaultValue
            self.format = format
        }

        public var isRequired: Bool { defaultValue == nil }
    }

    public let name: String
    public let fields: [Field]

    public init(_ name: String, _ fields: [Field]) {
        self.name = name
        self.fields = fields
    }
}

/// Field values that passed validation, by name.
public struct Validated: Sendable {
    public var values: [String: JSON] = [:]
    /// Fields the input carried (for PATCH semantics).
    public var present: Set<String> = []

    public func string(_ name: String) -> String? { values[name]?.stringValue }
    public func int(_ name: String) -> Int? { values[name]?.intValue }
    public func bool(_ name: String) -> Bool? { values[name]?.boolValue }
    public func strings(_ name: String) -> [String]? { values[name]?.arrayValue?.compactMap(\.stringValue) }
}

extension Model {
    /// Validates a JSON body (loc `["body", field]`), in field order.
    public func validate(json body: JSON) throws(HTTPError) -> Validated {
        guard case let .object(members) = body else {
            throw HTTPError.validation([
                ValidationIssue(type: "model_attributes_type", loc: ["body"],
                                msg: "Input should be a valid dictionary or object to extract fields from", input: body),
            ])
        }
        var out = Validated()
        var issues: [ValidationIssue] = []
        for field in fields {
            let value = members.last { $0.0 == field.name }?.1
            guard let value else {
                if let d = field.defaultValue { out.values[field.name] = d } else {
                    issues.append(.missing("body", .string(field.name)))
                }
                continue
            }
            out.present.insert(field.name)
            do throws(ValidationIssues) {
                out.values[field.name] = try Model.check(value, field.type, loc: ["body", .string(field.name)])
            } catch {
                issues += error.issues
            }
        }
        if !issues.isEmpty { throw HTTPError.validation(issues) }
        return out
    }

    /// Validates form fields (loc `["body", field]`): FastAPI treats an empty string as absent.
    public func validate(form: Form) throws(HTTPError) -> Validated {
        var out = Validated()
        var issues: [ValidationIssue] = []
        for field in fields {
            let raw = form[field.name]
            let text: String?
            switch raw {
            case let .text(s)?: text = s.isEmpty ? nil : s
            case .file?:
                issues.append(.stringType(["body", .string(field.name)], input: .null))
                continue
            case nil: text = nil
            }
            guard let text else {
                if let d = field.defaultValue { out.values[field.name] = d } else {
                    issues.append(.missing("body", .string(field.name)))
                }
                continue
            }
            out.present.insert(field.name)
            do throws(ValidationIssues) {
                out.values[field.name] = try Model.check(.string(text), field.type, loc: ["body", .string(field.name)])
            } catch {
                issues += error.issues
            }
        }
        if !issues.isEmpty { throw HTTPError.validation(issues) }
        return out
    }

    /// The value as the field reads it, or the pydantic entries that say why not.
    static func check(_ value: JSON, _ type: FieldType, loc: [JSON]) throws(ValidationIssues) -> JSON {
        func fail(_ issue: ValidationIssue) -> ValidationIssues { ValidationIssues([issue]) }
        switch type {
        case let .optional(inner):
            if value.isNull { return .null }
            return try check(value, inner, loc: loc)
        case let .string(pattern, minLength, maxLength):
            guard case let .string(s) = value else { throw fail(.stringType(loc, input: value)) }
            if let minLength, s.count < minLength {
                throw fail(ValidationIssue(
                    type: "string_too_short", loc: loc,
                    msg: "String should have at least \(minLength) character\(minLength == 1 ? "" : "s")",
                    input: value, ctx: [("min_length", .int(minLength))]))
            }
            if let maxLength, s.count > maxLength {
                throw fail(ValidationIssue(
                    type: "string_too_long", loc: loc,
                    msg: "String should have at most \(maxLength) character\(maxLength == 1 ? "" : "s")",
                    input: value, ctx: [("max_length", .int(maxLength))]))
            }
            if let pattern, !Model.matches(s, pattern: pattern) {
                throw fail(.patternMismatch(loc, pattern: pattern, input: s))
            }
            return value
        case let .int(minimum, maximum):
            let n: Int
            switch value {
            case let .int(i): n = i
            case let .string(s):
                let text = s.trimmingWhitespace()
                if let i = Int(text) { n = i } else if let huge = Model.saturatingInteger(text) { n = huge } else {
                    throw fail(.intParsing(loc, input: value))
                }
            case let .double(d) where d == d.rounded() && abs(d) < 1e15: n = Int(d)
            case .double:
                throw fail(ValidationIssue(type: "int_from_float", loc: loc,
                                           msg: "Input should be a valid integer, got a number with a fractional part",
                                           input: value))
            default:
                throw fail(ValidationIssue(type: "int_type", loc: loc, msg: "Input should be a valid integer", input: value))
            }
            if let minimum, n < minimum {
                throw fail(ValidationIssue(type: "greater_than_equal", loc: loc,
                                           msg: "Input should be greater than or equal to \(minimum)", input: value,
                                           ctx: [("ge", .int(minimum))]))
            }
            if let maximum, n > maximum {
                throw fail(ValidationIssue(type: "less_than_equal", loc: loc,
                                           msg: "Input should be less than or equal to \(maximum)", input: value,
                                           ctx: [("le", .int(maximum))]))
            }
            return .int(n)
        case .bool:
            switch value {
            case let .bool(b): return .bool(b)
            case let .int(i) where i == 0 || i == 1: return .bool(i == 1)
            case let .string(s):
                switch s.lowercased() {
                case "true", "1", "yes", "on", "t", "y": return .bool(true)
                case "false", "0", "no", "off", "f", "n": return .bool(false)
                default: throw fail(.boolParsing(loc, input: value))
                }
            default:
                throw fail(ValidationIssue(type: "bool_type", loc: loc, msg: "Input should be a valid boolean", input: value))
            }
        case let .array(inner):
            guard case let .array(items) = value else {
                throw fail(ValidationIssue(type: "list_type", loc: loc, msg: "Input should be a valid list", input: value))
            }
            var out: [JSON] = []
            var issues: [ValidationIssue] = []
            for (i, item) in items.enumerated() {
                do throws(ValidationIssues) { out.append(try check(item, inner, loc: loc + [.int(i)])) } catch {
                    issues += error.issues
                }
            }
            if !issues.isEmpty { throw ValidationIssues(issues) }
            return .array(out)
        case .model, .dateTime:
            return value
        }
    }

    /// The few anchored patterns models use: literal alternatives and character classes
    /// would need a regex engine; Foundation's is used for anything beyond a literal.
    static func matches(_ s: String, pattern: String) -> Bool {
        if pattern.hasPrefix("^"), pattern.hasSuffix("$") {
            let literal = pattern.dropFirst().dropLast()
            if !literal.contains(where: { "\\[](){}.*+?|^$".contains($0) }) { return s == literal }
        }
        return (try? Regex(pattern).firstMatch(in: s)) != nil
    }
}

/// A handler's value that does not fit its route's declaration: a bug, never the client's.
public struct RenderError: Error, CustomStringConvertible {
    public let route: String
    public let problem: String
    public var description: String { "response of \(route): \(problem)" }
}

extension Model {
    /// The value as this model's object: its fields in declared order, none extra, none
    /// missing but those with a default, which are left out (FastAPI's exclude_unset).
    func render(_ value: JSON, route: String) throws(RenderError) -> JSON {
        guard case let .object(members) = value else { throw RenderError(route: route, problem: "\(name) is not an object") }
        // The handler built exactly this model, as nearly always: nothing to reorder, leave out or refuse.
        if members.count == fields.count, zip(members, fields).allSatisfy({ $0.0 == $1.name }) { return value }
        let names = fields.map(\.name)
        if let extra = members.first(where: { !names.contains($0.0) }) {
            throw RenderError(route: route, problem: "\(name) has no field '\(extra.0)'")
        }
        var out: [(String, JSON)] = []
        for field in fields {
            if let member = members.last(where: { $0.0 == field.name }) {
                out.append(member)
            } else if field.isRequired {
                throw RenderError(route: route, problem: "\(name).\(field.name) is missing")
            }
        }
        return .object(out)
    }
}

/// What `Model.check` throws: every reason a value was refused, in order.
public struct ValidationIssues: Error, Sendable {
    public var issues: [ValidationIssue]
    public init(_ issues: [ValidationIssue]) { self.issues = issues }
}

extension Model {
    /// An integer literal beyond Int's range, as Int.max or Int.min: pydantic's int has no
    /// bound, so `offset=18446744073709551617` is a valid integer (past every row) and
    /// `/users/9223372036854775808` a valid id (of nobody), not a parsing error.
    static func saturatingInteger(_ text: String) -> Int? {
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return negative ? Int.min : Int.max
    }
}
