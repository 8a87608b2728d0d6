/// The one error a handler or a security check throws: it becomes FastAPI's
/// `{"detail": …}` response with its headers (HTTPException / RequestValidationError).
public struct HTTPError: Error, Sendable {
    public var status: Int
    public var detail: JSON
    public var headers: Headers
    /// A body other than `{"detail": …}`: RFC 6749 §5.2's error for the refresh grant.
    public var body: JSON? = nil

    public init(_ status: Int, _ detail: String, headers: Headers = Headers()) {
        self.status = status
        self.detail = .string(detail)
        self.headers = headers
    }

    public init(status: Int, detail: JSON, headers: Headers = Headers()) {
        self.status = status
        self.detail = detail
        self.headers = headers
    }

    public var response: Response {
        .json(body ?? .object([("detail", detail)]), status: status, headers: headers)
    }

    /// RFC 6749 §5.2 (and RFC 7009's errors): `{"error": …, "error_description": …}`, never cached.
    public static func oauth(_ error: String, _ description: String, status: Int = 400) -> HTTPError {
        var e = HTTPError(status, description, headers: Headers([("cache-control", "no-store"), ("pragma", "no-cache")]))
        e.body = .object([("error", .string(error)), ("error_description", .string(description))])
        return e
    }

    public static let notFound = HTTPError(404, "Not Found")
    public static let internalServerError = HTTPError(500, "Internal Server Error")
    public static let bodyTooLarge = HTTPError(413, "Request body too large")
    public static let serviceUnavailable = HTTPError(503, "Service unavailable", headers: Headers([("retry-after", "1")]))

    public static func methodNotAllowed(allow: [String]) -> HTTPError {
        HTTPError(405, "Method Not Allowed", headers: Headers([("allow", allow.joined(separator: ", "))]))
    }

    public static func validation(_ issues: [ValidationIssue]) -> HTTPError {
        HTTPError(status: 422, detail: .array(issues.map(\.json)))
    }
}

/// One entry of a pydantic v2 validation error list, as FastAPI returns it in a 422.
public struct ValidationIssue: Sendable, Equatable {
    public var type: String
    public var loc: [JSON]
    public var msg: String
    public var input: JSON
    public var ctx: [(String, JSON)]?

    public init(type: String, loc: [JSON], msg: String, input: JSON, ctx: [(String, JSON)]? = nil) {
        self.type = type
        self.loc = loc
        self.msg = msg
        self.input = input
        self.ctx = ctx
    }

    public static func == (a: ValidationIssue, b: ValidationIssue) -> Bool { a.json == b.json }

    public var json: JSON {
        var members: [(String, JSON)] = [
            ("type", .string(type)), ("loc", .array(loc)), ("msg", .string(msg)), ("input", input),
        ]
        if let ctx { members.append(("ctx", .object(ctx))) }
        return .object(members)
    }

    public static func missing(_ loc: JSON..., input: JSON = .null) -> ValidationIssue {
        ValidationIssue(type: "missing", loc: loc, msg: "Field required", input: input)
    }

    public static func patternMismatch(_ loc: [JSON], pattern: String, input: String) -> ValidationIssue {
        ValidationIssue(
            type: "string_pattern_mismatch", loc: loc, msg: "String should match pattern '\(pattern)'",
            input: .string(input), ctx: [("pattern", .string(pattern))])
    }

    public static func stringType(_ loc: [JSON], input: JSON) -> ValidationIssue {
        ValidationIssue(type: "string_type", loc: loc, msg: "Input should be a valid string", input: input)
    }

    public static func intParsing(_ loc: [JSON], input: JSON) -> ValidationIssue {
        ValidationIssue(
            type: "int_parsing", loc: loc, msg: "Input should be a valid integer, unable to parse string as an integer",
            input: input)
    }

    public static func boolParsing(_ loc: [JSON], input: JSON) -> ValidationIssue {
        ValidationIssue(type: "bool_parsing", loc: loc, msg: "Input should be a valid boolean, unable to interpret input", input: input)
    }

    /// FastAPI's answer to a JSON body that does not parse.
    public static func jsonInvalid(position: Int, error: String) -> ValidationIssue {
        ValidationIssue(
            type: "json_invalid", loc: ["body", .int(position)], msg: "JSON decode error", input: .object([]),
            ctx: [("error", .string(error))])
    }
}
