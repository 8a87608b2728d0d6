public struct Response: Sendable {
    public var status: Int
    public var headers: Headers
    public var body: [UInt8]

    public init(status: Int = 200, headers: Headers = Headers(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `application/json`, the body written as FastAPI's JSONResponse writes it.
    public static func json(_ value: JSON, status: Int = 200, headers: Headers = Headers()) -> Response {
        var h = headers
        // The content type, and the two that forbid caching what a secured route answers.
        h.reserveCapacity(adding: 3)
        h.set("content-type", "application/json")
        return Response(status: status, headers: h, body: value.bytes)
    }

    public static func text(_ text: String, status: Int = 200, headers: Headers = Headers()) -> Response {
        var h = headers
        h.set("content-type", "text/plain; charset=utf-8")
        return Response(status: status, headers: h, body: Array(text.utf8))
    }

    public static func empty(status: Int, headers: Headers = Headers()) -> Response {
        Response(status: status, headers: headers, body: [])
    }

    public var reason: String { HTTPStatus.reason(status) }

    /// The CGI/FastCGI form: `Status:` line, header lines, blank line, body.
    /// Content-Length is always written, so the web server need not chunk.
    public func serialized(includeBody: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        serialize(into: &out, includeBody: includeBody)
        return out
    }

    /// The same, appended to `out`.
    public func serialize(into out: inout [UInt8], includeBody: Bool = true) {
        out.reserveCapacity(out.count + 128 + (includeBody ? body.count : 0))
        Response.append("Status: ", to: &out)
        Response.append(status, to: &out)
        out.append(UInt8(ascii: " "))
        Response.append(reason, to: &out)
        out += [13, 10]
        for (name, value) in headers where name != "content-length" {
            Response.append(name, to: &out)
            out += [UInt8(ascii: ":"), UInt8(ascii: " ")]
            Response.append(value, to: &out)
            out += [13, 10]
        }
        Response.append("Content-Length: ", to: &out)
        Response.append(body.count, to: &out)
        out += [13, 10, 13, 10]
        if includeBody { out += body }
    }

    /// Header text is latin-1 by HTTP's rules: each scalar as its byte, and one above U+00FF,
    /// which cannot be sent as it is, as `?`.
    static func append(_ text: String, to out: inout [UInt8]) {
        var text = text
        let ascii = text.withUTF8 { bytes in
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if ascii { return }
        for u in text.unicodeScalars { out.append(u.value < 256 ? UInt8(u.value) : UInt8(ascii: "?")) }
    }

    /// A number in decimal.
    static func append(_ number: Int, to out: inout [UInt8]) {
        if number < 0 { return append(String(number), to: &out) }
        if number >= 10 { append(number / 10, to: &out) }
        out.append(UInt8(ascii: "0") + UInt8(number % 10))
    }
}

public enum HTTPStatus {
    public static func reason(_ code: Int) -> String {
        switch code {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        default: return "Unknown"
        }
    }
}
