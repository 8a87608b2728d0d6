import Foundation
import XCTest

/// One HTTP answer as curl saw it.
struct HTTPResult {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// What a finished command printed.
struct ProcessOutput {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String

    var text: String { String(decoding: stdout, as: UTF8.self) }
}

/// A private Gatehouse behind a private nginx, all in one temp folder:
///
///     let h = try Harness.start(config: ["max_body_size": "1000"])
///     defer { h.stop() }
///     let r = try h.curl([h.url("/auth/health")])   // r.status, r.headers, r.body
///     let cli = try h.gatehouse(["user", "add", "alice"])   // same config file
///
/// nginx mounts Gatehouse twice, with nginx/gatehouse.conf: under `prefix` (as shipped,
/// request bodies buffered by nginx) and at `/` (with fastcgi_request_buffering off, so a
/// slow upload keeps a worker busy); `mountAtRoot: false` leaves `/` to the test's own
/// locations (a site, as BrowserTests serve www/). Swagger UI's files for `{prefix}/docs/`
/// come from `swaggerUI` (by default what `make swagger-ui` copied). `server: .spawnFCGI` starts the binary through
/// spawn-fcgi (fd 0 is the socket) instead of `gatehouse serve`.
///
/// `gatehouse serve` runs its login pool too (one worker unless the config says otherwise,
/// on `loginSocketPath`), and nginx sends POST /token there as gatehouse.conf ships; with
/// spawn-fcgi or `login_pool = false` both routes lead to the one socket.
final class Harness {
    enum Server { case serve, spawnFCGI }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// GH_BIN, else the debug build of this package.
    static var binary: String {
        ProcessInfo.processInfo.environment["GH_BIN"]
            ?? packageRoot.appendingPathComponent(".build/debug/gatehouse").path
    }

    /// GH_SWAGGER_UI, else what `make swagger-ui` copies into .build/swagger-ui.
    static var swaggerUI: String {
        ProcessInfo.processInfo.environment["GH_SWAGGER_UI"]
            ?? packageRoot.appendingPathComponent(".build/swagger-ui").path
    }

    let dir: String
    let port: Int
    let prefix: String
    let socketPath: String
    /// Derived by `serve` from `--listen unix:…/gatehouse.sock`.
    let loginSocketPath: String
    let configPath: String
    private(set) var server: Process?
    private var nginx: Process?

    var baseURL: String { "http://127.0.0.1:\(port)" }
    func url(_ path: String) -> String { baseURL + path }

    private init(dir: String, port: Int, prefix: String) {
        self.dir = dir
        self.port = port
        self.prefix = prefix
        socketPath = dir + "/gatehouse.sock"
        loginSocketPath = dir + "/gatehouse-login.sock"
        configPath = dir + "/gatehouse.conf"
    }

    static func start(
        config: [String: String] = [:], prefix: String = "/auth", workers: Int = 2, server: Server = .serve,
        serverBinary: String = Harness.binary,
        nginxHTTPDirectives: String = "",
        nginxServerDirectives: String = "", mountAtRoot: Bool = true, swaggerUI: String = Harness.swaggerUI,
        nginxSnippetEdit: @escaping (String) -> String = { $0 }
    ) throws -> Harness {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw HarnessError("no gatehouse binary at \(binary): run swift build first or set GH_BIN")
        }
        var template = Array("/tmp/gatehouse-it-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
        let dir = String(cString: made)
        chmod(dir, 0o755)  // nginx's workers (nobody, when we are root) must reach the socket
        let h = Harness(dir: dir, port: try freePort(), prefix: prefix)
        do {
            var settings = ["data_dir": dir + "/data", "workers": String(workers), "log_level": "info", "login_workers": "1"]
            // `@PORT@` in a value is nginx's port, known only now (e.g. public_url = http://127.0.0.1:@PORT@).
            settings.merge(config.mapValues { $0.replacingOccurrences(of: "@PORT@", with: String(h.port)) }) { $1 }
            try h.writeConfig(settings)
            try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
            try h.startServer(server, binary: serverBinary)
            let loginPool = server == .serve && !["false", "no", "off", "0"].contains(settings["login_pool"]?.lowercased() ?? "true")
            try h.startNginx(loginSocket: loginPool ? h.loginSocketPath : h.socketPath, httpDirectives: nginxHTTPDirectives,
                             serverDirectives: nginxServerDirectives, mountAtRoot: mountAtRoot, swaggerUI: swaggerUI,
                             snippetEdit: nginxSnippetEdit)
            try h.waitUntilServing(healthPath: mountAtRoot ? "/health" : prefix + "/health")
        } catch {
            h.stop()
            throw error
        }
        return h
    }

    /// Rewrites the config file (e.g. before SIGHUP).
    func writeConfig(_ settings: [String: String]) throws {
        let text = settings.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)\n" }.joined()
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// `binary` serves (gatehouse, or a site's own server built on Gatehouse); the CLI is always gatehouse.
    private func startServer(_ kind: Server, binary: String) throws {
        let process = Process()
        let logPath = dir + "/gatehouse.log"
        if !FileManager.default.fileExists(atPath: logPath) { _ = try Harness.createFile(logPath) }
        let log = FileHandle(forWritingAtPath: logPath)
        log?.seekToEndOfFile()  // a restarted server adds to the log of the one before
        process.standardOutput = log
        process.standardError = log
        process.environment = Harness.cleanEnvironment(["GATEHOUSE_CONFIG": configPath])
        switch kind {
        case .serve:
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["serve", "--config", configPath, "--listen", "unix:" + socketPath, "--socket-mode", "0666"]
        case .spawnFCGI:
            process.executableURL = URL(fileURLWithPath: "/usr/bin/spawn-fcgi")
            process.arguments = ["-s", socketPath, "-M", "0666", "-n", "--", binary]
        }
        try process.run()
        server = process
    }

    /// `httpDirectives` go into nginx's `http { }` block (e.g. `large_client_header_buffers 4 64k;`),
    /// `serverDirectives` into its `server { }` (more locations); in both, `@SOCKET@` names Gatehouse's socket.
    /// `snippetEdit` changes the shipped gatehouse.conf first (e.g. uncomments a block of it).
    private func startNginx(loginSocket: String, httpDirectives: String, serverDirectives: String, mountAtRoot: Bool,
                            swaggerUI: String, snippetEdit: (String) -> String) throws {
        let shipped = snippetEdit(try String(contentsOf: Harness.packageRoot.appendingPathComponent("nginx/gatehouse.conf"), encoding: .utf8))
            .replacingOccurrences(of: "/run/gatehouse/gatehouse.sock", with: socketPath)
            .replacingOccurrences(of: "/run/gatehouse/gatehouse-login.sock", with: loginSocket)
            .replacingOccurrences(of: "/path/to/gatehouse/swagger-ui/", with: swaggerUI + "/")
        try shipped.replacingOccurrences(of: "/auth", with: prefix)
            .write(toFile: dir + "/gatehouse-prefix.conf", atomically: true, encoding: .utf8)
        try shipped.replacingOccurrences(of: "/auth", with: "")
            .replacingOccurrences(of: "client_max_body_size 4m;", with: "client_max_body_size 4m;\n    fastcgi_request_buffering off;")
            .write(toFile: dir + "/gatehouse-root.conf", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/nginx-tmp", withIntermediateDirectories: true)
        let conf = """
            \(getuid() == 0 ? "user nobody nogroup;" : "")
            worker_processes 1;
            pid \(dir)/nginx.pid;
            error_log \(dir)/nginx-error.log warn;
            events { worker_connections 512; }
            http {
                access_log off;
                client_body_temp_path \(dir)/nginx-tmp/body;
                fastcgi_temp_path \(dir)/nginx-tmp/fastcgi;
                proxy_temp_path \(dir)/nginx-tmp/proxy;
                uwsgi_temp_path \(dir)/nginx-tmp/uwsgi;
                scgi_temp_path \(dir)/nginx-tmp/scgi;
                \(httpDirectives.replacingOccurrences(of: "@SOCKET@", with: socketPath))
                server {
                    listen 127.0.0.1:\(port);
                    server_name localhost;
                    include \(dir)/gatehouse-prefix.conf;
                    \(mountAtRoot ? "include \(dir)/gatehouse-root.conf;" : "")
                    \(serverDirectives.replacingOccurrences(of: "@SOCKET@", with: socketPath))
                }
            }
            """
        try conf.write(toFile: dir + "/nginx.conf", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-p", dir, "-c", dir + "/nginx.conf", "-e", dir + "/nginx-error.log", "-g", "daemon off;"]
        let log = FileHandle(forWritingAtPath: try Harness.createFile(dir + "/nginx.out"))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        nginx = process
    }

    private func waitUntilServing(healthPath: String) throws {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if server?.isRunning == false { throw HarnessError("gatehouse exited: \(serverLog())") }
            if FileManager.default.fileExists(atPath: socketPath),
               let r = try? curl(["--max-time", "2", url(healthPath)]), r.status == 200 {
                return
            }
            usleep(50_000)
        }
        throw HarnessError("not serving after 15 s; gatehouse log: \(serverLog())")
    }

    /// Starts `gatehouse serve` again on the same folder and sockets, after the last one died
    /// (a fault test's kill -9), and waits until it serves.
    func restartServer() throws {
        try startServer(.serve, binary: Harness.binary)
        try waitUntilServing(healthPath: prefix + "/health")
    }

    /// `nginx -s reload` for this harness's nginx: new nginx workers, the old ones finish.
    func reloadNginx() throws -> ProcessOutput {
        try Harness.run("/usr/sbin/nginx", ["-p", dir, "-c", dir + "/nginx.conf", "-e", dir + "/nginx-error.log", "-s", "reload"])
    }

    /// curl with the given arguments (add the URL yourself: `h.url("/auth/health")`).
    func curl(_ args: [String]) throws -> HTTPResult {
        let out = try Harness.run("/usr/bin/curl", ["-sS", "-i", "--max-time", "30"] + args)
        guard out.status == 0 else { throw HarnessError("curl \(args) failed (\(out.status)): \(out.stderr)") }
        return try Harness.parseResponse(out.stdout)
    }

    /// Runs the gatehouse command with this harness's config file.
    func gatehouse(_ args: [String], stdin: [UInt8] = [], environment: [String: String] = [:]) throws -> ProcessOutput {
        try Harness.run(Harness.binary, args + ["--config", configPath], stdin: stdin, environment: environment)
    }

    /// The PIDs of the master's main workers.
    func workerPIDs() -> Set<Int32> {
        guard let master = server?.processIdentifier else { return [] }
        return Harness.children(of: master).filter { Harness.processName($0) != "gatehouse-login" }
    }

    /// The PIDs of the master's login workers (named gatehouse-login).
    func loginWorkerPIDs() -> Set<Int32> {
        guard let master = server?.processIdentifier else { return [] }
        return Harness.children(of: master).filter { Harness.processName($0) == "gatehouse-login" }
    }

    func signalServer(_ signal: Int32) {
        if let pid = server?.processIdentifier { kill(pid, signal) }
    }

    func serverLog() -> String {
        (try? String(contentsOfFile: dir + "/gatehouse.log", encoding: .utf8)) ?? ""
    }

    /// Waits for the server process to exit and returns its status (nil after `timeout`).
    @discardableResult
    func waitForServerExit(timeout: TimeInterval) -> Int32? {
        guard let server else { return nil }
        return Harness.wait(server, timeout: timeout) ? server.terminationStatus : nil
    }

    /// Stops nginx and the server by PID, waits for them, removes the folder.
    func stop() {
        for process in [nginx, server].compactMap({ $0 }) where process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            if !Harness.wait(process, timeout: 10) {
                kill(process.processIdentifier, SIGKILL)
                _ = Harness.wait(process, timeout: 5)
            }
        }
        nginx = nil
        if ProcessInfo.processInfo.environment["GH_TEST_KEEP_TMP"] == nil {
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    // MARK: - Helpers usable without a running harness

    static func run(
        _ executable: String, _ args: [String], stdin: [UInt8] = [], environment: [String: String] = [:],
        cleanEnvironment: Bool = false
    ) throws -> ProcessOutput {
        let scratch = NSTemporaryDirectory() + "gatehouse-run-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        FileManager.default.createFile(atPath: scratch + "/in", contents: Data(stdin))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        process.environment = cleanEnvironment
            ? environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
            : Harness.cleanEnvironment(environment)
        process.standardInput = FileHandle(forReadingAtPath: scratch + "/in")
        process.standardOutput = FileHandle(forWritingAtPath: try createFile(scratch + "/out"))
        process.standardError = FileHandle(forWritingAtPath: try createFile(scratch + "/err"))
        try process.run()
        process.waitUntilExit()
        return ProcessOutput(
            status: process.terminationStatus,
            stdout: Array(FileManager.default.contents(atPath: scratch + "/out") ?? Data()),
            stderr: (try? String(contentsOfFile: scratch + "/err", encoding: .utf8)) ?? "")
    }

    /// This process's environment without anything that would change Gatehouse's mode or settings.
    static func cleanEnvironment(_ extra: [String: String]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("GATEHOUSE_") && $0.key != "REQUEST_METHOD"
        }
        env.merge(extra) { $1 }
        return env
    }

    static func parseResponse(_ raw: [UInt8]) throws -> HTTPResult {
        var rest = raw[...]
        while true {
            guard let end = rest.firstRange(of: [13, 10, 13, 10]) else {
                throw HarnessError("no header end in curl output: \(String(decoding: raw, as: UTF8.self))")
            }
            let lines = String(decoding: rest[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
            let statusParts = lines[0].split(separator: " ")
            guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw HarnessError("bad status line \(lines[0])") }
            rest = rest[end.upperBound...]
            if status >= 100 && status < 200 { continue }  // 100 Continue before the answer
            let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            return HTTPResult(status: status, headers: headers, body: Array(rest))
        }
    }

    static func children(of parent: Int32) -> Set<Int32> {
        var result: Set<Int32> = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { continue }
            // After "comm)": state, then ppid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == parent { result.insert(pid) }
        }
        return result
    }

    /// /proc/PID/comm without its newline; nil once the process is gone.
    static func processName(_ pid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines)
    }

    /// Field 19 of /proc/PID/stat.
    static func niceness(_ pid: Int32) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        // After "comm)": field 3 (state) onwards, so field 19 is at index 16.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 16 ? Int(fields[16]) : nil
    }

    static func wait(_ process: Process, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { return false }
        process.waitUntilExit()
        return true
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw HarnessError("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func createFile(_ path: String) throws -> String {
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw HarnessError("cannot create \(path)") }
        return path
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Many sequential requests from one curl process in the background: `wait()` gives
/// the status codes (000 for a failed connection).
final class LoadRun {
    let process = Process()
    let output: String

    init(urls: [String], extraArgs: [String] = []) throws {
        output = NSTemporaryDirectory() + "gatehouse-load-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: output, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "--max-time", "30"] + extraArgs + urls.flatMap { ["-o", "/dev/null", "-w", "%{http_code}\\n", $0] }
        process.standardOutput = FileHandle(forWritingAtPath: output)
        try process.run()
    }

    func wait() -> [Int] {
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { Int($0) ?? -1 }
    }
}
