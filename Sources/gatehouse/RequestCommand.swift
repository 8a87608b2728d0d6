import ArgumentParser
import FoundationEssentials
import Glibc
import Gatehouse
import GatehouseServer

/// Answers one request built from the command line, exactly as the server would answer
/// it over FastCGI, and prints the response bytes (Status line, headers, body).
struct RequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Print the exact response to one request, without a web server.",
        discussion: """
            Example: gatehouse request GET '/users/me/?x=1' -H 'Authorization: Bearer …'
            The path is what follows the mount prefix (--script-name). -H 'Content-Type: …' and
            -H 'Content-Length: …' set CONTENT_TYPE and CONTENT_LENGTH; with -d and no Content-Type,
            the body is sent as application/x-www-form-urlencoded, as curl does.
            """)

    @Argument(help: "The HTTP method.")
    var method: String

    @Argument(help: "The path below the mount prefix, with an optional ?query.")
    var path: String

    @Option(name: .customShort("H"), help: "A request header 'Name: value' (repeatable).")
    var header: [String] = []

    @Option(name: [.customShort("d"), .customLong("data")], help: "The request body.")
    var data: String?

    @Option(help: "Read the request body from this file.")
    var dataFile: String?

    @Option(help: "The mount prefix (SCRIPT_NAME), e.g. /auth.")
    var scriptName: String = ""

    @Option(help: "Configuration file (default: $GATEHOUSE_CONFIG, if set).")
    var config: String?

    func validate() throws {
        if data != nil && dataFile != nil { throw ValidationError("give -d or --data-file, not both") }
        if !path.hasPrefix("/") { throw ValidationError("the path starts with /") }
    }

    func run() throws {
        var body: [UInt8] = []
        if let data { body = Array(data.utf8) }
        if let dataFile {
            guard let contents = FileManager.default.contents(atPath: dataFile) else {
                throw ValidationError("cannot read \(dataFile)")
            }
            body = Array(contents)
        }
        let params = try environment(body: body, hasBody: data != nil || dataFile != nil)
        let settings = try Server.loadConfig(file: config)
        let app = try GatehouseEntry.server.factory(settings, nil, nil, nil)
        var offset = 0
        let output = RequestBuilder(params: params, maxBodySize: settings.maxBodySize).respond(with: app) { buffer in
            let n = min(buffer.count, body.count - offset)
            buffer.copyBytes(from: body[offset..<(offset + n)])
            offset += n
            return n
        }
        guard CGIResponder.writeAll(1, output) else { throw ExitCode.failure }
    }

    /// The meta-variables nginx would send for this request (see nginx/gatehouse.conf).
    func environment(body: [UInt8], hasBody: Bool) throws -> [(name: String, value: [UInt8])] {
        let parts = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var params: [(String, String)] = [
            ("REQUEST_METHOD", method.uppercased()),
            ("SCRIPT_NAME", scriptName),
            ("PATH_INFO", PercentEncoding.decode(parts[0])),
            ("QUERY_STRING", parts.count > 1 ? String(parts[1]) : ""),
            ("REQUEST_URI", scriptName + path),
            ("SERVER_PROTOCOL", "HTTP/1.1"),
            ("SERVER_NAME", "localhost"),
            ("SERVER_PORT", "80"),
            ("REMOTE_ADDR", "127.0.0.1"),
        ]
        var contentType: String? = hasBody ? "application/x-www-form-urlencoded" : nil
        var contentLength: String? = hasBody ? String(body.count) : nil
        for line in header {
            guard let colon = line.firstIndex(of: ":") else { throw ValidationError("-H expects 'Name: value', got '\(line)'") }
            let name = line[..<colon].trimmingWhitespace()
            let value = line[line.index(after: colon)...].trimmingWhitespace()
            switch name.lowercased() {
            case "content-type": contentType = value
            case "content-length": contentLength = value
            default: params.append(("HTTP_" + name.uppercased().replacing("-", with: "_"), value))
            }
        }
        if let contentType { params.append(("CONTENT_TYPE", contentType)) }
        if let contentLength { params.append(("CONTENT_LENGTH", contentLength)) }
        // The bytes a client such as curl would send for these (UTF-8) arguments.
        return params.map { ($0.0, Array($0.1.utf8)) }
    }
}
