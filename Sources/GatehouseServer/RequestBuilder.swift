import FoundationEssentials
import Glibc
import Gatehouse

/// Turns CGI/FastCGI meta-variables plus a body stream into a `Request`. Shared by the
/// FastCGI worker, the CGI one-shot and `gatehouse request`, so all three read a request
/// the same way.
public struct RequestBuilder {
    /// The meta-variables in the order the web server sent them, names as ASCII and values
    /// as raw bytes.
    public var params: [(name: String, value: [UInt8])]
    public var maxBodySize: Int

    public init(params: [(name: String, value: [UInt8])], maxBodySize: Int) {
        self.params = params
        self.maxBodySize = maxBodySize
    }

    /// Reads `NAME=value` C strings, as `environ` and `FCGX_Request.envp` hold them, keeping
    /// only the HTTP_* headers and the meta-variables a request is built from.
    public init(environment envp: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, maxBodySize: Int) {
        var params: [(String, [UInt8])] = []
        params.reserveCapacity(24)
        var cursor = envp
        while let entry = cursor?.pointee {
            cursor = cursor! + 1
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(entry).assumingMemoryBound(to: UInt8.self), count: strlen(entry))
            guard let eq = bytes.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = UnsafeBufferPointer(rebasing: bytes[..<eq])
            guard name.starts(with: RequestBuilder.headerPrefix) || RequestBuilder.used.contains(where: { name.elementsEqual($0) })
            else { continue }
            params.append((Latin1.string(buffer: name), Array(bytes[(eq + 1)...])))
        }
        self.init(params: params, maxBodySize: maxBodySize)
    }

    static let headerPrefix = Array("HTTP_".utf8)
    static let used = [
        "REQUEST_METHOD", "PATH_INFO", "SCRIPT_NAME", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH", "HTTPS",
        "SERVER_NAME", "SERVER_PORT", "REMOTE_ADDR", "REQUEST_ID", Authorizer.ruleVariable,
    ].map { Array($0.utf8) }

    public func value(_ name: String) -> [UInt8]? {
        params.first { $0.name == name }?.value
    }

    /// `HTTP_X_API_KEY` → `x-api-key`.
    static func headerName(cgi name: String) -> String {
        String(decoding: name.utf8.dropFirst(5).map { b -> UInt8 in
            switch b {
            case UInt8(ascii: "_"): return UInt8(ascii: "-")
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): return b + 32
            default: return b
            }
        }, as: UTF8.self)
    }

    /// What CONTENT_LENGTH asks for: nothing, a number of bytes, or more than the limit.
    public enum BodyLength: Equatable {
        case bytes(Int)
        case tooLarge
    }

    /// Empty or absent means no body; anything but ASCII digits is a 400.
    public func bodyLength() throws(HTTPError) -> BodyLength {
        guard let raw = value("CONTENT_LENGTH"), !raw.isEmpty else { return .bytes(0) }
        guard raw.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw HTTPError(400, "Invalid Content-Length")
        }
        // Digits only, so a failed parse can only mean an overflow: certainly too large.
        guard let n = Int(Latin1.string(raw)), n <= maxBodySize else { return .tooLarge }
        return .bytes(n)
    }

    /// The request without its body; `body`/`bodyTooLarge` are filled by `build(reading:)`.
    public func head() -> Request {
        func text(_ name: String) -> String { value(name).map { String(decoding: $0, as: UTF8.self) } ?? "" }
        func latin1(_ name: String) -> String { value(name).map { Latin1.string($0) } ?? "" }

        var headers = Headers()
        for (name, value) in params where name.hasPrefix("HTTP_") {
            headers.add(RequestBuilder.headerName(cgi: name), Latin1.string(value))
        }
        if let type = value("CONTENT_TYPE"), !type.isEmpty { headers.add("content-type", Latin1.string(type)) }
        if let length = value("CONTENT_LENGTH"), !length.isEmpty { headers.add("content-length", Latin1.string(length)) }

        let https = latin1("HTTPS").lowercased()
        let scheme = https == "on" || https == "1" ? "https" : "http"
        if !headers.contains("host") {
            var host = latin1("SERVER_NAME")
            let port = latin1("SERVER_PORT")
            if host.isEmpty { host = "localhost" }
            if !port.isEmpty && port != (scheme == "https" ? "443" : "80") { host += ":" + port }
            headers.add("host", host)
        }
        let method = latin1("REQUEST_METHOD")
        return Request(
            method: method.isEmpty ? "GET" : method, path: text("PATH_INFO"), scriptName: text("SCRIPT_NAME"),
            rawQuery: latin1("QUERY_STRING"), headers: headers, scheme: scheme, remoteAddress: latin1("REMOTE_ADDR"),
            serverName: latin1("SERVER_NAME"), serverPort: latin1("SERVER_PORT"),
            requestID: String(latin1("REQUEST_ID").prefix(64)))
    }

    /// Builds the request, reading exactly CONTENT_LENGTH bytes with `read` (which returns
    /// how many bytes it put in the buffer, 0 at the end of the stream, negative on error).
    /// A body over the limit is not read: `bodyTooLarge` is set instead.
    public func build(reading read: (UnsafeMutableRawBufferPointer) -> Int) throws(HTTPError) -> Request {
        var request = head()
        switch try bodyLength() {
        case .tooLarge:
            request.bodyTooLarge = true
        case let .bytes(count):
            var body = [UInt8](repeating: 0, count: count)
            var filled = 0
            while filled < count {
                let n = body.withUnsafeMutableBytes { read(UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
                if n <= 0 { throw HTTPError(400, "Incomplete request body") }
                filled += n
            }
            request.body = body
        }
        return request
    }

    /// The whole exchange: build the request, let the app answer (or answer a broken
    /// request with its 400), and serialise; HEAD gets the head only, with the
    /// Content-Length of the body it would have had.
    public func respond(with app: App, reading read: (UnsafeMutableRawBufferPointer) -> Int) -> [UInt8] {
        let response: Response
        do {
            response = app.handle(try build(reading: read))
        } catch {
            response = error.response
        }
        return response.serialized(includeBody: value("REQUEST_METHOD") != Array("HEAD".utf8))
    }
}
