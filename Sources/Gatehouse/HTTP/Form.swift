/// A parsed form body, as Starlette's `request.form()` gives it: the fields in
/// order, text fields as strings and file parts as bytes.
public struct Form: Sendable {
    public enum Value: Sendable, Equatable {
        case text(String)
        case file(filename: String, contentType: String?, data: [UInt8])
    }

    public var fields: [(name: String, value: Value)] = []

    public init(fields: [(name: String, value: Value)] = []) { self.fields = fields }

    /// The last value of a field, as Starlette's FormData lookup does.
    public subscript(name: String) -> Value? { fields.last { $0.name == name }?.value }

    public func text(_ name: String) -> String? {
        if case let .text(s)? = self[name] { return s }
        return nil
    }

    public static let maxFields = 1000
    public static let maxPartHeaderBytes = 16 * 1024

    /// Parses by the request's Content-Type. Any other media type (JSON included) is a form
    /// without fields, as with Starlette, so that required fields come back as 422 "missing".
    public static func parse(_ request: Request) throws(HTTPError) -> Form {
        guard let contentType = request.headers["content-type"] else { return Form() }
        let media = MediaType(contentType)
        switch media.type {
        case "application/x-www-form-urlencoded":
            return try urlencoded(request.body)
        case "multipart/form-data":
            guard let boundary = media.parameters["boundary"], !boundary.isEmpty else {
                throw HTTPError(400, "Missing boundary in multipart.")
            }
            return try Multipart.parse(request.body, boundary: boundary)
        default:
            return Form()
        }
    }

    public static func urlencoded(_ body: [UInt8]) throws(HTTPError) -> Form {
        guard String(validating: body, as: UTF8.self) != nil else {
            throw HTTPError(400, "There was an error parsing the body")
        }
        let pairs = QueryParameters(parsing: body, maxPairs: maxFields + 1).pairs
        guard pairs.count <= maxFields else {
            throw HTTPError(400, "Too many fields. Maximum number of fields is \(maxFields).")
        }
        return Form(fields: pairs.map { ($0.name, .text($0.value)) })
    }
}

/// `multipart/form-data` (RFC 7578) over a body already in memory.
enum Multipart {
    static func parse(_ body: [UInt8], boundary: String) throws(HTTPError) -> Form {
        let delimiter = Array("--\(boundary)".utf8)
        guard delimiter.count <= 72, boundary.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw HTTPError(400, "Invalid boundary in multipart.")
        }
        guard var pos = find(delimiter, in: body, from: 0) else {
            throw HTTPError(400, "Invalid multipart body: boundary not found.")
        }
        var form = Form()
        let partDelimiter = [0x0D, 0x0A] + delimiter
        while true {
            pos += delimiter.count
            // "--" after a delimiter closes the body.
            if pos + 1 < body.count, body[pos] == 0x2D, body[pos + 1] == 0x2D { return form }
            // Transport padding, then CRLF.
            while pos < body.count, body[pos] == 0x20 || body[pos] == 0x09 { pos += 1 }
            guard pos + 1 < body.count, body[pos] == 0x0D, body[pos + 1] == 0x0A else {
                throw HTTPError(400, "Invalid multipart body: missing closing boundary.")
            }
            pos += 2
            let headerEnd: Int
            if body[pos...].starts(with: [0x0D, 0x0A]) {
                headerEnd = pos - 2
            } else if let end = find([0x0D, 0x0A, 0x0D, 0x0A], in: body, from: pos, limit: Form.maxPartHeaderBytes) {
                headerEnd = end
            } else {
                throw HTTPError(400, "Invalid multipart body: part headers not terminated.")
            }
            let headers = try partHeaders(headerEnd > pos ? Array(body[pos..<headerEnd]) : [])
            let dataStart = headerEnd + 4
            guard dataStart <= body.count, let dataEnd = find(partDelimiter, in: body, from: dataStart) else {
                throw HTTPError(400, "Invalid multipart body: missing closing boundary.")
            }
            let data = Array(body[dataStart..<dataEnd])
            guard let disposition = headers["content-disposition"] else {
                throw HTTPError(400, "Missing Content-Disposition header in multipart part.")
            }
            let dispo = MediaType(disposition)
            guard dispo.type == "form-data", let name = dispo.parameters["name"] else {
                throw HTTPError(400, "Invalid Content-Disposition in multipart part.")
            }
            if let filename = dispo.parameters["filename"] {
                form.fields.append((name, .file(filename: filename, contentType: headers["content-type"], data: data)))
            } else {
                guard let text = String(validating: data, as: UTF8.self) else {
                    throw HTTPError(400, "There was an error parsing the body")
                }
                form.fields.append((name, .text(text)))
            }
            guard form.fields.count <= Form.maxFields else {
                throw HTTPError(400, "Too many fields. Maximum number of fields is \(Form.maxFields).")
            }
            pos = dataEnd + 2
        }
    }

    static func partHeaders(_ raw: [UInt8]) throws(HTTPError) -> Headers {
        var headers = Headers()
        let text = Latin1.string(raw)
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else {
                throw HTTPError(400, "Invalid multipart body: malformed part header.")
            }
            // Part headers carry UTF-8 filenames in practice; read them as such when valid.
            let value = String(line[line.index(after: colon)...]).trimmingWhitespace()
            headers.add(String(line[..<colon]).trimmingWhitespace(), Latin1.utf8(value) ?? value)
        }
        return headers
    }

    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int, limit: Int = Int.max) -> Int? {
        guard !needle.isEmpty, from <= hay.count, hay.count - from >= needle.count else { return nil }
        let last = limit == Int.max ? hay.count - needle.count : min(hay.count - needle.count, from + limit)
        let first = needle[0]
        var i = from
        return hay.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                while i <= last {
                    if h[i] == first {
                        var k = 1
                        while k < n.count && h[i + k] == n[k] { k += 1 }
                        if k == n.count { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }
}
