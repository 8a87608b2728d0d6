import Foundation
import XCTest

/// The .deb as an administrator gets it: its contents and Depends:, lintian, the unit,
/// then `dpkg -i` on this machine, the installed binary started the way the unit starts
/// it, a stock-like nginx site including the packaged snippets, a login through it with
/// curl, an upgrade that keeps the data, and `dpkg --purge` leaving nothing behind.
///
/// It changes the machine (a package, a system user, /run/gatehouse): it runs as root,
/// as CI does, refuses to run over an existing install, and purges what it installed.
final class DebianPackageTests: XCTestCase {
    static let unit = "/lib/systemd/system/gatehouse.service"
    static let conffile = "/etc/gatehouse/gatehouse.conf"
    static let socket = "/run/gatehouse/gatehouse.sock"

    var work = ""
    var installed = false
    var processes: [Process] = []

    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("DebianPackageTests install a package: run as root") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/dpkg") else { throw XCTSkip("no dpkg on this machine") }
        guard try run("/usr/bin/dpkg-query", ["-W", "-f=${Status}", "gatehouse"]).text != "install ok installed" else {
            XCTFail("gatehouse is installed on this machine already: this test would purge it")
            throw HarnessError("gatehouse already installed")
        }
        var template = Array("/tmp/gatehouse-deb-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
        work = String(cString: made)
        chmod(work, 0o755)  // nginx's workers (www-data) serve a file from here
    }

    override func tearDown() {
        for process in processes.reversed() where process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            if !Harness.wait(process, timeout: 10) {
                kill(process.processIdentifier, SIGKILL)
                _ = Harness.wait(process, timeout: 5)
            }
        }
        try? FileManager.default.removeItem(atPath: "/run/gatehouse")
        if installed { _ = try? run("/usr/bin/dpkg", ["--purge", "gatehouse"]) }
        if !work.isEmpty { try? FileManager.default.removeItem(atPath: work) }
    }

    func testPackageInstallsServesUpgradesAndPurges() throws {
        let deb = try Self.debPath()
        let version = try checkContents(deb)
        try checkLintian(deb)

        // An older release first, so that installing this one is an upgrade over it.
        try install(try repackaged(deb, version: "0.0.1"))
        XCTAssertEqual(try run("/usr/bin/getent", ["passwd", "gatehouse"]).status, 0, "postinst adds the user")
        try checkDataFolder()
        try checkUnit()
        try addUser("alice", password: "correct horse battery")

        try install(deb)
        XCTAssertEqual(try run("/usr/bin/dpkg-query", ["-W", "-f=${Version}", "gatehouse"]).text, version)
        let listed = try asGatehouse(["/usr/bin/gatehouse", "user", "list", "--config", Self.conffile])
        XCTAssertTrue(listed.text.contains("alice"), "the upgrade kept the users: \(listed.text) \(listed.stderr)")
        try checkDataFolder()

        try serveThroughNginx(user: "alice", password: "correct horse battery")
        try purge()
    }

    // MARK: - The package file

    /// GH_TEST_DEB (make test sets it), else the last `make deb`'s package.
    static func debPath(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let last = Harness.packageRoot.appendingPathComponent(".build/deb-name").path
        let path = ProcessInfo.processInfo.environment["GH_TEST_DEB"]
            ?? (try? String(contentsOfFile: last, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let path, FileManager.default.fileExists(atPath: path) else {
            let message = "no .deb: set GH_TEST_DEB or run `make deb` first"
            XCTFail(message, file: file, line: line)
            throw HarnessError(message)
        }
        return path
    }

    /// Checks the files, the control fields and the binary's libraries; returns the version.
    func checkContents(_ deb: String) throws -> String {
        let root = work + "/contents"
        XCTAssertEqual(try run("/usr/bin/dpkg-deb", ["-x", deb, root]).status, 0)
        let binary = root + "/usr/bin/gatehouse"
        let versionLine = try run(binary, ["--version"]).text.trimmingCharacters(in: .newlines)
        XCTAssertNotNil(versionLine.range(of: #"^gatehouse \S+ \(commit ([0-9a-f]{7}(-dirty)?|unknown)\)$"#, options: .regularExpression),
                        versionLine)
        try checkRunsWithoutToolchain(binary)
        let version = versionLine.split(separator: " ")[1]
        XCTAssertEqual(URL(fileURLWithPath: deb).lastPathComponent, "gatehouse_\(version)_amd64.deb")
        XCTAssertEqual(try field(deb, "Version"), String(version))
        XCTAssertEqual(try field(deb, "Architecture"), "amd64")

        let files = [
            "usr/bin/gatehouse", "lib/systemd/system/gatehouse.service", "etc/gatehouse/gatehouse.conf",
            "usr/share/gatehouse/nginx/gatehouse.conf", "usr/share/gatehouse/nginx/auth-request.conf",
            "usr/share/gatehouse/nginx/auth-request-throttle.conf", "usr/share/gatehouse/nginx/auth-request-signin.conf",
            "usr/share/gatehouse/nginx/gatehouse-single-pool.conf",
            "usr/share/man/man1/gatehouse.1.gz", "usr/share/man/man1/gatehouse.serve.1.gz",
            "usr/share/man/man1/gatehouse.user.add.1.gz", "usr/share/bash-completion/completions/gatehouse",
            "usr/share/zsh/vendor-completions/_gatehouse", "usr/share/fish/vendor_completions.d/gatehouse.fish",
            "usr/share/doc/gatehouse/README.md.gz", "usr/share/doc/gatehouse/CHANGELOG.md.gz",
            "usr/share/doc/gatehouse/changelog.gz", "usr/share/doc/gatehouse/copyright",
            "usr/share/gatehouse/swagger-ui/swagger-ui-bundle.js", "usr/share/gatehouse/swagger-ui/swagger-ui.css",
        ]
        for path in files { XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/" + path), "the package holds /\(path)") }
        let copyright = try String(contentsOfFile: root + "/usr/share/doc/gatehouse/copyright", encoding: .utf8)
        XCTAssertTrue(copyright.hasPrefix("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"))
        XCTAssertEqual(try run("/bin/sh", ["-c", "dpkg-deb -I '\(deb)' conffiles"]).text, "/etc/gatehouse/gatehouse.conf\n")

        // One page per subcommand, made from the binary's own help.
        for command in ["user", "role", "apikey", "migrate", "request", "serve", "config"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/usr/share/man/man1/gatehouse.\(command).1.gz"), command)
        }
        let settings = try String(contentsOfFile: root + "/etc/gatehouse/gatehouse.conf", encoding: .utf8)
        XCTAssertTrue(settings.contains("\nsocket_owner = gatehouse:www-data\n"), settings)
        let snippets = try String(contentsOfFile: root + "/usr/share/gatehouse/nginx/gatehouse.conf", encoding: .utf8)
            + String(contentsOfFile: root + "/usr/share/gatehouse/nginx/auth-request.conf", encoding: .utf8)
        XCTAssertTrue(snippets.contains("unix:/run/gatehouse/gatehouse.sock"))
        XCTAssertTrue(snippets.contains("unix:/run/gatehouse/gatehouse-login.sock"))
        XCTAssertFalse(snippets.contains("/path/to/"), "the snippets name their installed path")

        // The Swift runtime is inside; what is left are Debian's libraries, and exactly
        // their packages (plus adduser, for postinst, and what the binary opens itself) are declared.
        let ldd = try run("/usr/bin/ldd", [binary]).text
        XCTAssertFalse(ldd.contains("not found"), ldd)
        XCTAssertFalse(ldd.lowercased().contains("swift"), ldd)
        var owners = Set(["adduser"] + Self.opened)
        for library in Self.resolvedLibraries(ldd) {
            guard let owner = try debianPackage(owning: library) else {
                XCTFail("\(library) belongs to no Debian package")
                continue
            }
            owners.insert(owner)
        }
        let depends = try field(deb, "Depends").split(separator: ",").map {
            String($0.trimmingCharacters(in: .whitespaces).split(separator: " ")[0])
        }
        XCTAssertEqual(Set(depends), owners, "Depends: \(depends), ldd: \(ldd)")
        XCTAssertEqual(depends.count, owners.count, "each package once")
        return String(version)
    }

    /// With the Swift toolchain's folder hidden (a private mount namespace), the binary
    /// still answers a request: nothing of the runtime, Foundation or ICU comes from it.
    func checkRunsWithoutToolchain(_ binary: String) throws {
        let swiftc = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map { $0 + "/swiftc" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        let toolchain = swiftc.map {
            URL(fileURLWithPath: $0).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent().path
        }
        guard let toolchain, toolchain != "/usr" else {
            print("DebianPackageTests: no Swift toolchain outside /usr to hide; ldd alone checks the binary")
            return
        }
        let answer = try run("/usr/bin/unshare", ["--mount", "/bin/sh", "-c",
                                                  "mount -t tmpfs none \"$1\" && [ -z \"$(ls -A \"$1\")\" ] && exec \"$0\"",
                                                  binary, toolchain],
                             environment: ["REQUEST_METHOD": "GET", "PATH_INFO": "/health", "GATEHOUSE_DATA_DIR": work + "/cgi-data"])
        XCTAssertEqual(answer.status, 0, answer.stderr)
        XCTAssertTrue(answer.text.hasPrefix("Status: 200"), "without \(toolchain): \(answer.text) \(answer.stderr)")
    }

    func checkLintian(_ deb: String) throws {
        let lintian = try run("/usr/bin/lintian", ["--fail-on", "error,warning", deb])
        XCTAssertEqual(lintian.status, 0, "lintian: \(lintian.text) \(lintian.stderr)")
        XCTAssertFalse(lintian.text.contains("W:") || lintian.text.contains("E:"), lintian.text)
    }

    /// The package at another version: the older release an upgrade starts from.
    func repackaged(_ deb: String, version: String) throws -> String {
        let tree = work + "/old"
        XCTAssertEqual(try run("/usr/bin/dpkg-deb", ["-R", deb, tree]).status, 0)
        let control = tree + "/DEBIAN/control"
        let text = try String(contentsOfFile: control, encoding: .utf8)
            .replacingOccurrences(of: #"(?m)^Version: .*$"#, with: "Version: \(version)", options: .regularExpression)
        try text.write(toFile: control, atomically: true, encoding: .utf8)
        let old = work + "/gatehouse_\(version)_amd64.deb"
        let built = try run("/usr/bin/dpkg-deb", ["--root-owner-group", "-Znone", "-b", tree, old])
        XCTAssertEqual(built.status, 0, built.stderr)
        try FileManager.default.removeItem(atPath: tree)
        return old
    }

    // MARK: - Installed

    func install(_ deb: String) throws {
        let result = try run("/usr/bin/dpkg", ["-i", deb], environment: ["DEBIAN_FRONTEND": "noninteractive"])
        installed = true
        XCTAssertEqual(result.status, 0, "dpkg -i: \(result.text) \(result.stderr)")
        guard result.status == 0 else { throw HarnessError("dpkg -i \(deb) failed") }
    }

    /// 0700 and the service user's: nobody else reads the users, keys or secret; migrated.
    func checkDataFolder() throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: "/var/lib/gatehouse")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o700)
        XCTAssertEqual(attributes[.ownerAccountName] as? String, "gatehouse")
        XCTAssertEqual(attributes[.groupOwnerAccountName] as? String, "gatehouse")
        let store = try FileManager.default.attributesOfItem(atPath: "/var/lib/gatehouse/gatehouse.sqlite3")
        XCTAssertEqual(store[.ownerAccountName] as? String, "gatehouse", "postinst migrated as gatehouse")
    }

    func checkUnit() throws {
        let verify = try run("/usr/bin/systemd-analyze", ["verify", Self.unit])
        XCTAssertEqual(verify.status, 0, "systemd-analyze verify: \(verify.text) \(verify.stderr)")
        let security = try run("/usr/bin/systemd-analyze", ["security", "--offline=true", Self.unit])
        let overall = security.text.split(separator: "\n").last { $0.contains("Overall exposure level") } ?? ""
        let score = overall.split(separator: " ").compactMap { Double($0) }.first
        XCTAssertNotNil(score, security.text)
        XCTAssertLessThan(score ?? 10, 2.0, String(overall))
        let unit = try String(contentsOfFile: Self.unit, encoding: .utf8)
        for line in ["User=gatehouse", "Group=gatehouse", "SupplementaryGroups=www-data", "RuntimeDirectory=gatehouse",
                     "StateDirectory=gatehouse", "ExecReload=/bin/kill -HUP $MAINPID", "CapabilityBoundingSet=\n",
                     "SystemCallFilter=@chown\n",  // the socket goes to www-data: chown must stay allowed
                     "ExecStart=/usr/bin/gatehouse serve --config /etc/gatehouse/gatehouse.conf\n"] {
            XCTAssertTrue(unit.contains(line), line)
        }
    }

    func addUser(_ name: String, password: String) throws {
        let added = try asGatehouse(["/usr/bin/gatehouse", "user", "add", name, "--scopes", "me", "--password-stdin",
                                     "--config", Self.conffile], stdin: Array((password + "\n").utf8))
        XCTAssertEqual(added.status, 0, added.stderr)
    }

    /// The unit's start by hand: as gatehouse, in www-data's group too, umask 077, no new
    /// privileges, no capabilities, no writable-executable memory (the kernel's
    /// PR_SET_MDWE, what MemoryDenyWriteExecute= asks for), the runtime folder made as
    /// RuntimeDirectory= makes it; then nginx as Debian runs it.
    func serveThroughNginx(user: String, password: String) throws {
        XCTAssertEqual(mkdir("/run/gatehouse", 0o755), 0, "/run/gatehouse must not exist yet")
        XCTAssertEqual(try run("/bin/chown", ["gatehouse:gatehouse", "/run/gatehouse"]).status, 0)
        let denyWriteExecute = "import ctypes, os, sys; assert ctypes.CDLL(None).prctl(65, 1, 0, 0, 0) == 0, "
            + "'PR_SET_MDWE refused'; os.execv(sys.argv[1], sys.argv[1:])"
        let server = try start("/bin/sh", ["-c", "umask 077; exec python3 -c \"$0\" /usr/bin/setpriv --reuid=gatehouse "
                                             + "--regid=gatehouse --groups=www-data --no-new-privs --bounding-set=-all "
                                             + "--inh-caps=-all -- /usr/bin/gatehouse serve --config \(Self.conffile)",
                                             denyWriteExecute],
                               log: work + "/gatehouse.log",
                               environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/var/lib/gatehouse",
                                             "USER": "gatehouse", "LOGNAME": "gatehouse"])
        let port = try Harness.freePort()
        try startNginx(port: port)
        let base = "http://127.0.0.1:\(port)"
        try waitUntil("Gatehouse answers through nginx; its log: \((try? String(contentsOfFile: work + "/gatehouse.log", encoding: .utf8)) ?? "")") {
            server.isRunning && (try? self.curl([base + "/auth/health"]))?.status == 200
        }

        let socket = try FileManager.default.attributesOfItem(atPath: Self.socket)
        XCTAssertEqual((socket[.posixPermissions] as? NSNumber)?.intValue, 0o660)
        XCTAssertEqual(socket[.ownerAccountName] as? String, "gatehouse")
        XCTAssertEqual(socket[.groupOwnerAccountName] as? String, "www-data")
        // The socket speaks FastCGI, so curl fails either way; exit 7 is "could not connect".
        let connect = { (user: String, group: String) throws -> Int32 in
            try self.run("/usr/bin/setpriv", ["--reuid=\(user)", "--regid=\(group)", "--clear-groups", "--", "/usr/bin/curl", "-s",
                                              "--max-time", "5", "--unix-socket", Self.socket, "http://localhost/health"]).status
        }
        XCTAssertNotEqual(try connect("www-data", "www-data"), 7, "nginx's user can connect")
        XCTAssertEqual(try connect("nobody", "nogroup"), 7, "a user outside www-data cannot connect")

        let login = try curl(["-d", "username=\(user)&password=\(password)&scope=me", base + "/auth/token"])
        XCTAssertEqual(login.status, 200, login.text)
        let token = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(login.body)) as? [String: Any])?["access_token"] as? String)
        let me = try curl(["-H", "Authorization: Bearer \(token)", base + "/auth/users/me/"])
        XCTAssertEqual(me.status, 200, me.text)
        XCTAssertTrue(me.text.contains("\"username\":\"\(user)\""), me.text)

        XCTAssertEqual(try curl([base + "/private/"]).status, 401, "auth_request refuses no credential")
        let allowed = try curl(["-H", "Authorization: Bearer \(token)", base + "/private/"])
        XCTAssertEqual(allowed.status, 200, allowed.text)
        XCTAssertEqual(allowed.header("X-Gatehouse-User"), user)
        XCTAssertEqual(try curl([base + "/"]).status, 200, "the rest of the site is untouched")
        let docs = try curl([base + "/auth/docs"])
        XCTAssertEqual(docs.status, 200)
        XCTAssertTrue(docs.text.contains(#"<script src="/auth/docs/swagger-ui-bundle.js"></script>"#), docs.text)
        XCTAssertEqual(try curl([base + "/auth/docs/swagger-ui-bundle.js"]).status, 200, "nginx serves the package's Swagger UI")

        // A purge while it runs deletes nothing and says why.
        let early = try run("/usr/bin/dpkg", ["--purge", "gatehouse"])
        XCTAssertNotEqual(early.status, 0)
        XCTAssertTrue(early.stderr.contains("gatehouse: still running as user gatehouse (pid "), early.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "/var/lib/gatehouse/gatehouse.sqlite3"), "the data is kept")

        for process in processes.reversed() {
            kill(process.processIdentifier, SIGTERM)
            XCTAssertTrue(Harness.wait(process, timeout: 30), "\(process.executableURL?.path ?? "") stops on SIGTERM")
        }
        XCTAssertEqual(server.terminationStatus, 0, "gatehouse drains and exits 0")
        processes = []
        try FileManager.default.removeItem(atPath: "/run/gatehouse")  // as systemd does when the unit stops
    }

    /// A site as Debian's nginx package sets one up, with the two packaged snippets included.
    func startNginx(port: Int) throws {
        try FileManager.default.createDirectory(atPath: work + "/www/private", withIntermediateDirectories: true)
        try "home\n".write(toFile: work + "/www/index.html", atomically: true, encoding: .utf8)
        try "private\n".write(toFile: work + "/www/private/index.html", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: work + "/nginx-tmp", withIntermediateDirectories: true)
        let conf = """
            user www-data;
            worker_processes 1;
            pid \(work)/nginx.pid;
            error_log \(work)/nginx-error.log warn;
            events { worker_connections 64; }
            http {
                include /etc/nginx/mime.types;
                default_type application/octet-stream;
                access_log off;
                client_body_temp_path \(work)/nginx-tmp/body;
                fastcgi_temp_path \(work)/nginx-tmp/fastcgi;
                proxy_temp_path \(work)/nginx-tmp/proxy;
                uwsgi_temp_path \(work)/nginx-tmp/uwsgi;
                scgi_temp_path \(work)/nginx-tmp/scgi;
                server {
                    listen 127.0.0.1:\(port) default_server;
                    root \(work)/www;
                    index index.html;
                    server_name _;
                    location / { try_files $uri $uri/ =404; }
                    include /usr/share/gatehouse/nginx/gatehouse.conf;
                    include /usr/share/gatehouse/nginx/auth-request.conf;
                    location /private/ {
                        auth_request /_gatehouse/check;
                        auth_request_set $gatehouse_user $upstream_http_x_gatehouse_user;
                        add_header X-Gatehouse-User $gatehouse_user always;
                    }
                }
            }
            """
        try conf.write(toFile: work + "/nginx.conf", atomically: true, encoding: .utf8)
        _ = try start("/usr/sbin/nginx", ["-p", work, "-c", work + "/nginx.conf", "-e", work + "/nginx-error.log", "-g", "daemon off;"],
                      log: work + "/nginx.out")
    }

    func purge() throws {
        let purged = try run("/usr/bin/dpkg", ["--purge", "gatehouse"])
        XCTAssertEqual(purged.status, 0, purged.stderr)
        installed = false
        XCTAssertNotEqual(try run("/usr/bin/getent", ["passwd", "gatehouse"]).status, 0, "purge removes the user")
        XCTAssertNotEqual(try run("/usr/bin/getent", ["group", "gatehouse"]).status, 0, "purge removes the group")
        for path in ["/var/lib/gatehouse", "/etc/gatehouse", "/usr/share/gatehouse", "/usr/share/doc/gatehouse", Self.unit,
                     "/usr/bin/gatehouse", "/run/gatehouse"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), "\(path) is gone after purge")
        }
        let left = try run("/usr/bin/find", ["/etc", "/var/lib", "/usr", "/lib", "-name", "*gatehouse*"])
        XCTAssertEqual(left.text, "", "nothing named gatehouse is left")
    }

    // MARK: - Helpers

    func run(_ executable: String, _ args: [String], stdin: [UInt8] = [], environment: [String: String] = [:]) throws -> ProcessOutput {
        try Harness.run(executable, args, stdin: stdin, environment: environment)
    }

    /// A command as the service user, as postinst runs migrate.
    func asGatehouse(_ command: [String], stdin: [UInt8] = []) throws -> ProcessOutput {
        try run("/usr/sbin/runuser", ["-u", "gatehouse", "--"] + command, stdin: stdin)
    }

    func start(_ executable: String, _ args: [String], log: String, environment: [String: String]? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        if let environment { process.environment = environment }
        let handle = FileHandle(forWritingAtPath: try Harness.createFile(log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes.append(process)
        return process
    }

    func curl(_ args: [String]) throws -> HTTPResult {
        let out = try run("/usr/bin/curl", ["-sS", "-i", "--max-time", "30"] + args)
        guard out.status == 0 else { throw HarnessError("curl \(args) failed (\(out.status)): \(out.stderr)") }
        return try Harness.parseResponse(out.stdout)
    }

    func waitUntil(_ what: @autoclosure () -> String, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if condition() { return }
            usleep(100_000)
        }
        throw HarnessError("timed out waiting: \(what())")
    }

    func field(_ deb: String, _ name: String) throws -> String {
        try run("/usr/bin/dpkg-deb", ["-f", deb, name]).text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The libraries the binary opens itself when it first needs them (debian/control.in
    /// declares them; ldd cannot see them): libpq for a postgresql:// database, libcurl for
    /// mail_transport = smtp, libcrypto for the first MAC, digest or key.
    static let opened = ["libpq5", "libcurl4", "libssl3"]

    /// The paths ldd resolved (`libc.so.6 => /lib/…/libc.so.6 (0x…)`, and the loader).
    static func resolvedLibraries(_ ldd: String) -> [String] {
        ldd.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ").map(String.init)
            if let arrow = words.firstIndex(of: "=>"), arrow + 1 < words.count, words[arrow + 1].hasPrefix("/") {
                return words[arrow + 1]
            }
            return words.first.flatMap { $0.hasPrefix("/") ? $0 : nil }
        }
    }

    /// `dpkg -S`, trying the path as ldd printed it and as merged /usr spells it.
    func debianPackage(owning library: String) throws -> String? {
        let real = URL(fileURLWithPath: library).resolvingSymlinksInPath().path
        var candidates = [library, real]
        for path in [library, real] {
            if path.hasPrefix("/usr/") { candidates.append(String(path.dropFirst(4))) } else { candidates.append("/usr" + path) }
        }
        for path in candidates {
            let found = try run("/usr/bin/dpkg", ["-S", path])
            if found.status == 0, let line = found.text.split(separator: "\n").first, let colon = line.firstIndex(of: ":") {
                return String(line[..<colon])
            }
        }
        return nil
    }
}
