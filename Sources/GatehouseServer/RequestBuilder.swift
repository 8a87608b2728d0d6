import Gatehouse
import Glibc

/// Turns CGI/FastCGI meta-variables plus a body stream into a `Request`. Shared by the
/// FastCGI worker, the CGI one-shot and `gatehouse request`, so all three read a request
/// the same way.
///
/// The variables are kept as bytes in one buffer, and only the headers (`HTTP_*`) and the
/// meta-variables a request is built from: a worker reuses one builder, so reading a request
/// allocates nothing but the strings the request holds.
public struct RequestBuilder {
    /// `NAME` and `value` of each variable kept, one after another.
    private var storage: [UInt8] = []
    private var entries: [Entry] = []
    public var maxBodySize: Int

    /// Where a variable's name and value lie in `storage`.
    struct Entry {
        var name: Range<Int>
        var value: Range<Int>
    }

    public init(maxBodySize: Int) {
        self.maxBodySize = maxBodySize
    }

    /// The variables in the order the web server sent them, names as ASCII and values as raw bytes.
    public init(params: [(name: String, value: [UInt8])], maxBodySize: Int) {
        self.maxBodySize = maxBodySize
        for (name, value) in params { keep(Array(name.utf8), value) }
    }

    /// Reads `NAME=value` C strings, as `environ` and `FCGX_Request.envp` hold them.
    public init(environment envp: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, maxBodySize: Int) {
        self.maxBodySize = maxBodySize
        load(environment: envp)
    }

    /// Replaces the variables with those of `envp`, keeping the buffers' capacity.
    public mutating func load(environment envp: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) {
        storage.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        var cursor = envp
        while let entry = cursor?.pointee {
            cursor = cursor! + 1
            let variable = UnsafeRawBufferPointer(start: entry, count: strlen(entry))
            guard let eq = memchr(entry, Int32(UInt8(ascii: "=")), variable.count) else { continue }
            let nameLength = UnsafeRawPointer(eq) - UnsafeRawPointer(entry)
            guard RequestBuilder.isKept(UnsafeRawBufferPointer(rebasing: variable[..<nameLength]).bindMemory(to: UInt8.self))
            else { continue }
            // `NAME=value` in one copy; the `=` stays between them, outside both ranges.
            let start = storage.count
            storage.append(contentsOf: variable)
            entries.append(Entry(name: start..<(start + nameLength), value: (start + nameLength + 1)..<storage.count))
        }
    }

    /// Replaces the variables with the name-value pairs of a FastCGI FCGI_PARAMS stream, keeping
    /// the buffers' capacity. False when a pair's lengths run past the end (the web server broke
    /// the protocol). A variable reads as the C string `NAME=value` would (as `environ` and
    /// libfcgi hand it over): up to a NUL, the name up to the first `=`.
    public mutating func load(fastCGIParams params: UnsafeRawBufferPointer) -> Bool {
        // The stream is copied whole and the variables kept are ranges of it: one copy, not one a variable.
        storage.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        storage.append(contentsOf: params)
        guard let base = params.baseAddress else { return true }
        return FastCGIRecord.forEachPair(in: params) { name, value in
            guard !name.contains(where: { $0 == 0 || $0 == UInt8(ascii: "=") }) else {
                // Never from a web server: read through the C string, as the environment's reader does.
                let line = (Array(name) + [UInt8(ascii: "=")] + Array(value)).prefix { $0 != 0 }
                guard let eq = line.firstIndex(of: UInt8(ascii: "=")) else { return }
                keep(Array(line[..<eq]), Array(line[(eq + 1)...]))
                return
            }
            guard RequestBuilder.isKept(name.bindMemory(to: UInt8.self)) else { return }
            let nameStart = name.baseAddress! - base
            let valueStart = nameStart + name.count
            var valueLength = value.count
            if valueLength > 0, let nul = memchr(value.baseAddress!, 0, valueLength) { valueLength = UnsafeRawPointer(nul) - value.baseAddress! }
            entries.append(Entry(name: nameStart..<valueStart, value: valueStart..<(valueStart + valueLength)))
        }
    }

    /// Stores a variable when it is a header or one a request is built from.
    private mutating func keep(_ name: [UInt8], _ value: [UInt8]) {
        guard name.withUnsafeBufferPointer(RequestBuilder.isKept) else { return }
        let start = storage.count
        storage.append(contentsOf: name)
        let valueStart = storage.count
        storage.append(contentsOf: value)
        entries.append(Entry(name: start..<valueStart, value: valueStart..<storage.count))
    }

    /// A header (`HTTP_*`) or one of the meta-variables a request is built from.
    private static func isKept(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        (name.count >= 5 && memcmp(name.baseAddress!, "HTTP_", 5) == 0) || CGIName(name) != nil
    }

    /// The meta-variables a request is built from, besides the `HTTP_*` headers.
    enum CGIName: Int, CaseIterable {
        case requestMethod, pathInfo, scriptName, queryString, contentType, contentLength, https
        case serverName, serverPort, remoteAddress, requestID, rule

        static let headerPrefix = Array("HTTP_".utf8)
        var slot: Int { rawValue }

        var text: StaticString {
            switch self {
            case .requestMethod: return "REQUEST_METHOD"
            case .pathInfo: return "PATH_INFO"
            case .scriptName: return "SCRIPT_NAME"
            case .queryString: return "QUERY_STRING"
            case .contentType: return "CONTENT_TYPE"
            case .contentLength: return "CONTENT_LENGTH"
            case .https: return "HTTPS"
            case .serverName: return "SERVER_NAME"
            case .serverPort: return "SERVER_PORT"
            case .remoteAddress: return "REMOTE_ADDR"
            case .requestID: return "REQUEST_ID"
            case .rule: return "GATEHOUSE_REQUIRE"
            }
        }

        /// By length first, so that a name is compared with at most four others.
        init?(_ name: UnsafeBufferPointer<UInt8>) {
            func named(_ candidate: CGIName) -> Bool { memcmp(candidate.text.utf8Start, name.baseAddress!, name.count) == 0 }
            switch name.count {
            case 5 where named(.https): self = .https
            case 9 where named(.pathInfo): self = .pathInfo
            case 10 where named(.requestID): self = .requestID
            case 11 where named(.scriptName): self = .scriptName
            case 11 where named(.serverName): self = .serverName
            case 11 where named(.serverPort): self = .serverPort
            case 11 where named(.remoteAddress): self = .remoteAddress
            case 12 where named(.queryString): self = .queryString
            case 12 where named(.contentType): self = .contentType
            case 14 where named(.requestMethod): self = .requestMethod
            case 14 where named(.contentLength): self = .contentLength
            case 17 where named(.rule): self = .rule
            default: return nil
            }
        }

        init?<Name: Collection<UInt8>>(_ name: Name) {
            guard let found = name.withContiguousStorageIfAvailable({ CGIName($0) }) ?? Array(name).withUnsafeBufferPointer({ CGIName($0) })
            else { return nil }
            self = found
        }
    }

    /// The first value of a variable that is kept (a header or one a request is built from), as its raw bytes.
    public func value(_ name: String) -> [UInt8]? {
        let wanted = Array(name.utf8)
        return entries.first { storage[$0.name].elementsEqual(wanted) }.map { Array(storage[$0.value]) }
    }

    /// The first value of one of the meta-variables.
    func value(_ name: CGIName) -> ArraySlice<UInt8>? {
        value(name, in: metaVariables())
    }

    private func value(_ name: CGIName, in found: MetaVariables) -> ArraySlice<UInt8>? {
        found[name].map { storage[entries[$0].value] }
    }

    /// Which entry holds each meta-variable that is present (the first, when one repeats).
    private func metaVariables() -> MetaVariables {
        var found = MetaVariables()
        for (index, entry) in entries.enumerated() {
            if let name = CGIName(storage[entry.name]), found[name] == nil { found[name] = index }
        }
        return found
    }

    /// An entry index for each meta-variable, on the stack.
    struct MetaVariables {
        private var slots = InlineArray<12, Int>(repeating: -1)

        subscript(name: CGIName) -> Int? {
            get { slots[name.slot] >= 0 ? slots[name.slot] : nil }
            set { slots[name.slot] = newValue ?? -1 }
        }
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
        try bodyLength(value(.contentLength))
    }

    private func bodyLength(_ raw: ArraySlice<UInt8>?) throws(HTTPError) -> BodyLength {
        guard let raw, !raw.isEmpty else { return .bytes(0) }
        guard raw.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw HTTPError(400, "Invalid Content-Length")
        }
        var length = 0
        for byte in raw {
            // Digits only, so an overflow can only mean: certainly too large.
            let (times10, o1) = length.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if o1 || o2 { return .tooLarge }
            length = sum
        }
        return length <= maxBodySize ? .bytes(length) : .tooLarge
    }

    /// The request without its body; `body`/`bodyTooLarge` are filled by `build(reading:)`.
    public func head() -> Request {
        head(metaVariables())
    }

    private func head(_ found: MetaVariables) -> Request {
        storage.withUnsafeBufferPointer { all in
            func bytes(_ name: CGIName) -> UnsafeBufferPointer<UInt8>? {
                found[name].map { UnsafeBufferPointer(rebasing: all[entries[$0].value]) }
            }
            func text(_ name: CGIName) -> String { bytes(name).map { String(decoding: $0, as: UTF8.self) } ?? "" }
            func latin1(_ name: CGIName) -> String { bytes(name).map { Latin1.string(buffer: $0) } ?? "" }

            var headers = Headers(minimumCapacity: entries.count + 1)
            for entry in entries where all[entry.name].starts(with: CGIName.headerPrefix) {
                headers.appendCGI(name: UnsafeBufferPointer(rebasing: all[(entry.name.lowerBound + 5)..<entry.name.upperBound]),
                                  value: UnsafeBufferPointer(rebasing: all[entry.value]))
            }
            if let type = bytes(.contentType), !type.isEmpty { headers.add("content-type", Latin1.string(buffer: type)) }
            if let length = bytes(.contentLength), !length.isEmpty { headers.add("content-length", Latin1.string(buffer: length)) }

            let https = bytes(.https).map { $0.elementsEqual("1".utf8) || $0.count == 2 && $0[0] | 0x20 == UInt8(ascii: "o")
                && $0[1] | 0x20 == UInt8(ascii: "n") } ?? false
            let scheme = https ? "https" : "http"
            if !headers.contains("host") {
                var host = latin1(.serverName)
                let port = latin1(.serverPort)
                if host.isEmpty { host = "localhost" }
                if !port.isEmpty && port != (https ? "443" : "80") { host += ":" + port }
                headers.add("host", host)
            }
            let method = latin1(.requestMethod)
            var requestID = latin1(.requestID)
            if requestID.utf8.count > 64 { requestID = String(requestID.prefix(64)) }
            return Request(
                method: method.isEmpty ? "GET" : method, path: text(.pathInfo), scriptName: text(.scriptName),
                rawQuery: latin1(.queryString), headers: headers, scheme: scheme, remoteAddress: latin1(.remoteAddress),
                serverName: latin1(.serverName), serverPort: latin1(.serverPort), requestID: requestID)
        }
    }

    /// Builds the request, reading exactly CONTENT_LENGTH bytes with `read` (which returns
    /// how many bytes it put in the buffer, 0 at the end of the stream, negative on error).
    /// A body over the limit is not read: `bodyTooLarge` is set instead.
    public func build(reading read: (UnsafeMutableRawBufferPointer) -> Int) throws(HTTPError) -> Request {
        try build(metaVariables(), reading: read)
    }

    private func build(_ found: MetaVariables, reading read: (UnsafeMutableRawBufferPointer) -> Int) throws(HTTPError) -> Request {
        var request = head(found)
        switch try bodyLength(value(.contentLength, in: found)) {
        case .tooLarge:
            request.bodyTooLarge = true
        case let .bytes(count):
            guard count > 0 else { break }
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
        var out: [UInt8] = []
        respond(with: app, reading: read, into: &out)
        return out
    }

    /// The same, appended to `out` (a worker reuses one buffer for every answer).
    public func respond(with app: App, reading read: (UnsafeMutableRawBufferPointer) -> Int, into out: inout [UInt8]) {
        let found = metaVariables()
        let response: Response
        do {
            response = app.handle(try build(found, reading: read))
        } catch {
            response = error.response
        }
        let isHEAD = value(.requestMethod, in: found).map { $0.elementsEqual("HEAD".utf8) } ?? false
        response.serialize(into: &out, includeBody: !isHEAD)
    }
}
