import Gatehouse
import GatehouseServer
import Glibc

// The request path of a worker without the FastCGI hop: nginx's parameters as the FCGI_PARAMS
// stream carries them → RequestBuilder → App → the records a worker writes. Run it
// under `valgrind --tool=callgrind` for instructions per request (repeatable on a noisy
// machine), or under perf with uprobes on malloc for allocations per request.
//
//   gatehouse-hotpath SCENARIO [REQUESTS]     SCENARIO: health | jwt | garbage | basic | apikey | check | cookie
// Prints nanoseconds per request (noisy; compare instruction counts instead).

let scenario = CommandLine.arguments.dropFirst().first ?? "jwt"
let count = CommandLine.arguments.dropFirst(2).first.flatMap { Int($0) } ?? 20000

func fail(_ message: String) -> Never {
    StandardError.write("gatehouse-hotpath: \(message)\n")
    exit(1)
}

let folder = "/tmp/gatehouse-hotpath-\(getpid())"
var config = Config()
config.dataDir = folder
config.passwordMinLength = 6
config.demo = true
config.logLevel = .warning
config.basicCacheSeconds = 3600
config.argon2MemoryKiB = 1024
config.argon2TimeCost = 1
let app: App
do {
    try App.prepare(config: config)
    app = try App.open(config: config)
    let hash = try app.hasher.hash("secret")
    try app.store.createUser(username: "johndoe", email: "johndoe@example.com", fullName: "John Doe", passwordHash: hash,
                             scopes: ["me", "items"])
} catch {
    fail("\(error)")
}

/// nginx's parameters for one request through nginx/gatehouse.conf, plus `extra` headers.
func parameters(_ method: String, _ path: String, query: String = "", body: String = "", contentType: String = "",
                headers: [(String, String)]) -> [String] {
    var params = [
        "SCRIPT_NAME=/auth", "PATH_INFO=\(path)", "QUERY_STRING=\(query)", "REQUEST_METHOD=\(method)",
        "CONTENT_TYPE=\(contentType)", "CONTENT_LENGTH=\(body.isEmpty ? "" : String(body.utf8.count))",
        "REQUEST_URI=/auth\(path)\(query.isEmpty ? "" : "?" + query)", "SERVER_PROTOCOL=HTTP/1.1", "REQUEST_SCHEME=http",
        "GATEWAY_INTERFACE=CGI/1.1", "SERVER_SOFTWARE=nginx/1.22.1", "REMOTE_ADDR=127.0.0.1", "REMOTE_PORT=51234",
        "SERVER_ADDR=127.0.0.1", "SERVER_PORT=8080", "SERVER_NAME=localhost", "REQUEST_ID=4f2b8c1d9e7a6b5c3d2e1f0a9b8c7d6e",
        "HTTP_HOST=127.0.0.1:8080",
    ]
    for (name, value) in headers { params.append("HTTP_" + name.uppercased().replacing("-", with: "_") + "=" + value) }
    return params
}

/// Runs one request the way a worker does and returns its answer.
@MainActor func answer(_ params: [String], body: [UInt8] = []) -> [UInt8] {
    var strings = params.map { strdup($0) }
    strings.append(nil)
    defer { for s in strings { free(s) } }
    return strings.withUnsafeMutableBufferPointer { envp in
        var offset = 0
        return RequestBuilder(environment: envp.baseAddress, maxBodySize: 1 << 20).respond(with: app) { buffer in
            let n = min(buffer.count, body.count - offset)
            if n > 0 { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: body.withUnsafeBytes { $0 }[offset..<offset + n])) }
            offset += n
            return n
        }
    }
}

func status(_ output: [UInt8]) -> String { String(decoding: output.prefix(while: { $0 != 13 }), as: UTF8.self) }

func json(_ output: [UInt8]) -> String {
    guard let end = output.firstRange(of: Array("\r\n\r\n".utf8)) else { return "" }
    return String(decoding: output[end.upperBound...], as: UTF8.self)
}

/// The string member `name` of a flat JSON object.
func field(_ name: String, in text: String) -> String? {
    let bytes = Array(text.utf8)
    guard let start = bytes.firstRange(of: Array("\"\(name)\":\"".utf8)) else { return nil }
    return String(decoding: bytes[start.upperBound...].prefix { $0 != UInt8(ascii: "\"") }, as: UTF8.self)
}

let form = "username=johndoe&password=secret&scope=me+items"
let login = answer(parameters("POST", "/token", body: form, contentType: "application/x-www-form-urlencoded", headers: []),
                   body: Array(form.utf8))
guard let token = field("access_token", in: json(login)) else { fail("login: \(status(login)) \(json(login))") }
let keyBody = #"{"name":"bench","scopes":["me"]}"#
let created = answer(parameters("POST", "/users/me/api-keys", body: keyBody, contentType: "application/json",
                                headers: [("authorization", "Bearer " + token)]), body: Array(keyBody.utf8))
guard let apiKey = field("key", in: json(created)) else { fail("api key: \(status(created)) \(json(created))") }

let signIn = answer(parameters("POST", "/login", body: "username=johndoe&password=secret",
                               contentType: "application/x-www-form-urlencoded", headers: []),
                    body: Array("username=johndoe&password=secret".utf8))
let setCookie = String(decoding: signIn, as: UTF8.self).split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") }
guard let cookie = setCookie?.dropFirst("set-cookie: ".count).split(separator: ";").first.map(String.init) else {
    fail("sign-in: \(status(signIn))")
}

let requests: [String: ([String], String)] = [
    "health": (parameters("GET", "/health", headers: []), "Status: 200 OK"),
    "jwt": (parameters("GET", "/users/me/", headers: [("authorization", "Bearer " + token)]), "Status: 200 OK"),
    "garbage": (parameters("GET", "/users/me/", headers: [("authorization", "Bearer not.a.token")]), "Status: 401 Unauthorized"),
    "basic": (parameters("GET", "/users/me/", headers: [("authorization", "Basic am9obmRvZTpzZWNyZXQ=")]), "Status: 200 OK"),
    "apikey": (parameters("GET", "/users/me/", headers: [("x-api-key", apiKey)]), "Status: 200 OK"),
    "check": (parameters("GET", "/check", headers: [("authorization", "Bearer " + token)]), "Status: 204 No Content"),
    "cookie": (parameters("GET", "/check", headers: [("cookie", cookie)]), "Status: 204 No Content"),
]
guard let (params, expected) = requests[scenario] else { fail("unknown scenario \(scenario)") }
let first = answer(params)
guard status(first) == expected else { fail("\(scenario): \(status(first)), expected \(expected): \(json(first))") }

/// nginx's parameters as the FCGI_PARAMS stream carries them: name-value pairs.
func fastCGIParams(_ params: [String]) -> [UInt8] {
    func length(_ n: Int) -> [UInt8] {
        n < 128 ? [UInt8(n)] : [UInt8(n >> 24) | 0x80, UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)]
    }
    return params.flatMap { variable -> [UInt8] in
        let (name, value) = (variable.prefix { $0 != "=" }.utf8, variable.drop { $0 != "=" }.dropFirst().utf8)
        return length(name.count) + length(value.count) + Array(name) + Array(value)
    }
}

/// The measured loop (callgrind: --toggle-collect='*measuredRequests*').
@MainActor @inline(never) func measuredRequests(_ params: UnsafeRawBufferPointer, count: Int) -> Int {
    // As FastCGIWorker: one builder and two buffers for every request; the answer framed as records.
    var builder = RequestBuilder(maxBodySize: 1 << 20)
    var output: [UInt8] = []
    var records: [UInt8] = []
    var bytes = 0
    for _ in 0..<count {
        guard builder.load(fastCGIParams: params) else { fail("malformed parameters") }
        output.removeAll(keepingCapacity: true)
        builder.respond(with: app, reading: { _ in 0 }, into: &output)
        records.removeAll(keepingCapacity: true)
        output.withUnsafeBytes { FastCGIRecord.appendAnswer($0, id: 1, to: &records) }
        bytes &+= records.count
    }
    return bytes
}

let stream = fastCGIParams(params)
let started = MonotonicClock.nanoseconds()
let bytes = stream.withUnsafeBytes { measuredRequests($0, count: count) }
let elapsed = MonotonicClock.nanoseconds() - started
print("\(scenario): \(count) requests, \(elapsed / UInt64(max(count, 1))) ns each, \(bytes / max(count, 1)) bytes each")
_ = try? Subprocess.run("/bin/rm", ["-rf", folder])
