import Foundation
import XCTest

/// The README's spawn-fcgi and lighttpd recipes run as written (paths moved into a temp
/// folder, the `gatehouse` account replaced by one made for the test), with nginx or lighttpd
/// in front as unprivileged users; and serve's own handling of its socket folder and user.
final class ServiceRecipeTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("the recipes run as root") }
        var template = Array("/tmp/gh-recipe-XXXXXX".utf8CString)
        dir = String(cString: mkdtemp(&template)!)
        chmod(dir, 0o755)
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/bin/gatehouse", withDestinationPath: Harness.binary)
    }

    override func tearDown() {
        if !dir.isEmpty, ProcessInfo.processInfo.environment["GH_TEST_KEEP_TMP"] == nil {
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    /// The shell block after `<!-- recipe: NAME -->` in the README.
    static func recipe(_ name: String) throws -> String {
        let readme = try String(contentsOf: Harness.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let marker = readme.range(of: "<!-- recipe: \(name) -->\n") else { throw HarnessError("no recipe \(name) in README") }
        let rest = readme[marker.upperBound...]
        guard let open = rest.range(of: "\n"), let close = rest.range(of: "\n```\n") else { throw HarnessError("recipe \(name) unclosed") }
        return String(rest[open.upperBound..<close.lowerBound]) + "\n"
    }

    /// The recipe's paths moved under `dir` and its account renamed.
    func localized(_ text: String, user: String) -> String {
        var text = text
        for (from, to) in [
            ("/nologin gatehouse\n", "/nologin \(user)\n"), ("'user = gatehouse'", "'user = \(user)'"),
            ("-U gatehouse ", "-U \(user) "), ("-u gatehouse ", "-u \(user) "), ("-o gatehouse -g gatehouse ", "-o \(user) -g \(user) "),
        ] { text = text.replacingOccurrences(of: from, with: to) }
        for (from, to) in [
            ("/usr/local/bin/gatehouse", dir + "/bin/gatehouse"), ("/var/lib/gatehouse", dir + "/lib"),
            ("/run/gatehouse", dir + "/run"), ("/run/lighttpd", dir + "/run-lighttpd"), ("/etc/gatehouse.conf", dir + "/gatehouse.conf"),
        ] { text = text.replacingOccurrences(of: from, with: to) }
        return text
    }

    /// Runs `script` with sh -e. Descriptors above 2 are closed first: a daemon the recipe starts
    /// (spawn-fcgi's child) would otherwise hold the one Foundation watches for the shell's exit.
    func sh(_ script: String) throws -> ProcessOutput {
        try script.write(toFile: dir + "/recipe.sh", atomically: true, encoding: .utf8)
        let closing = #"for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null; done; exec /bin/sh -e "$0""#
        return try Harness.run("/bin/bash", ["-c", closing, dir + "/recipe.sh"], environment: [
            "PASSWORD": "alice-has-a-long-password", "PATH": dir + "/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ])
    }

    static func owner(_ path: String) -> (uid: uid_t, mode: mode_t)? {
        var info = stat()
        return lstat(path, &info) == 0 ? (info.st_uid, info.st_mode & 0o7777) : nil
    }

    /// The real uid of a running process, from /proc.
    static func uid(of pid: Int32) -> uid_t? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { return nil }
        return line.split(separator: "\t").dropFirst().first.flatMap { uid_t($0) }
    }

    /// Signs alice in through `base` and reads her account with the token.
    func assertAliceSignsIn(_ base: String, file: StaticString = #filePath, line: UInt = #line) throws {
        var login: ProcessOutput?
        for _ in 0..<100 {
            login = try Harness.run("/usr/bin/curl", ["-sS", "--max-time", "10", "-d",
                                                      "username=alice&password=alice-has-a-long-password&scope=me", base + "/auth/token"])
            if login?.text.contains("access_token") == true { break }
            usleep(100_000)
        }
        let answer = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(login?.stdout ?? [])) as? [String: Any],
                                   login?.text ?? "", file: file, line: line)
        let token = try XCTUnwrap(answer["access_token"] as? String, file: file, line: line)
        let me = try Harness.run("/usr/bin/curl", ["-sS", "--max-time", "10", "-H", "Authorization: Bearer \(token)", base + "/auth/users/me/"])
        XCTAssertEqual(me.text, #"{"username":"alice","email":null,"full_name":null,"disabled":false}"#, file: file, line: line)
    }

    func testTheSpawnFCGIRecipeAsWritten() throws {
        let user = "ghr\(getpid() % 100000)"
        defer { _ = try? Harness.run("/usr/sbin/userdel", [user]) }
        let recipe = localized(try Self.recipe("spawn-fcgi"), user: user)
        // Never create or use the real account name on the machine running the tests.
        guard !recipe.contains("nologin gatehouse"), !recipe.contains("-U gatehouse"), !recipe.contains("-u gatehouse "),
              recipe.contains("nologin \(user)\n") else { throw HarnessError("recipe not localized: \(recipe)") }
        let ran = try sh(recipe)
        let pidText = (try? String(contentsOfFile: dir + "/run/spawn-fcgi.pid", encoding: .utf8)) ?? ""
        let master = Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines))
        defer {
            if let master {
                kill(master, SIGTERM)
                for _ in 0..<200 where kill(master, 0) == 0 { usleep(50_000) }
            }
        }
        XCTAssertEqual(ran.status, 0, ran.text + ran.stderr)
        let account = try XCTUnwrap(getpwnam(user)?.pointee.pw_uid)
        let www = try XCTUnwrap(getpwnam("www-data")?.pointee)

        let socket = try XCTUnwrap(Self.owner(dir + "/run/gatehouse.sock"))
        XCTAssertEqual(socket.mode, 0o660)
        XCTAssertEqual(socket.uid, account)
        for path in ["/lib", "/lib/gatehouse.sqlite3", "/lib/secret_key"] {
            XCTAssertEqual(Self.owner(dir + path)?.uid, account, "\(path) is the account's")
        }
        XCTAssertEqual(Self.owner(dir + "/lib/secret_key")?.mode, 0o600)
        XCTAssertEqual(Self.owner(dir + "/lib/gatehouse.sqlite3")?.mode, 0o600)
        let pid = try XCTUnwrap(master, "spawn-fcgi wrote its child's pid")
        for _ in 0..<100 where Self.uid(of: pid) != account { usleep(50_000) }
        XCTAssertEqual(Self.uid(of: pid), account, "Gatehouse became \(user)")
        XCTAssertFalse(Harness.children(of: pid).isEmpty, "with its workers")
        for worker in Harness.children(of: pid) { XCTAssertEqual(Self.uid(of: worker), account) }

        // nginx in front with the shipped single-pool snippet, its workers as www-data.
        let port = try Harness.freePort()
        let snippet = try String(contentsOf: Harness.packageRoot.appendingPathComponent("nginx/gatehouse-single-pool.conf"), encoding: .utf8)
        try localized(snippet, user: user).write(toFile: dir + "/gatehouse-nginx.conf", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/nginx-tmp", withIntermediateDirectories: true)
        try """
            user www-data \(String(cString: getgrgid(www.pw_gid).pointee.gr_name));
            worker_processes 1;
            pid \(dir)/nginx.pid;
            error_log \(dir)/nginx-error.log warn;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path \(dir)/nginx-tmp/body;
                fastcgi_temp_path \(dir)/nginx-tmp/fastcgi;
                proxy_temp_path \(dir)/nginx-tmp/proxy;
                uwsgi_temp_path \(dir)/nginx-tmp/uwsgi;
                scgi_temp_path \(dir)/nginx-tmp/scgi;
                server {
                    listen 127.0.0.1:\(port);
                    include \(dir)/gatehouse-nginx.conf;
                }
            }
            """.write(toFile: dir + "/nginx.conf", atomically: true, encoding: .utf8)
        let nginx = Process()
        nginx.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        nginx.arguments = ["-p", dir, "-c", dir + "/nginx.conf", "-e", dir + "/nginx-error.log", "-g", "daemon off;"]
        nginx.standardError = FileHandle(forWritingAtPath: try Harness.createFile(dir + "/nginx.out"))
        try nginx.run()
        defer {
            kill(nginx.processIdentifier, SIGTERM)
            if !Harness.wait(nginx, timeout: 10) { kill(nginx.processIdentifier, SIGKILL) }
        }
        try assertAliceSignsIn("http://127.0.0.1:\(port)")
        let metrics = try Harness.run("/usr/bin/curl", ["-sS", "http://127.0.0.1:\(port)/auth/metrics"]).text
        XCTAssertTrue(metrics.contains("gatehouse_workers{pool=\"main\"} 2\n"), metrics)
        XCTAssertTrue(metrics.contains("gatehouse_logins_total{outcome=\"ok\"} 1\n"), metrics)
    }

    func testTheLighttpdRecipeAsWritten() throws {
        guard getpwnam("www-data") != nil else { throw XCTSkip("no www-data") }
        let ran = try sh(localized(try Self.recipe("lighttpd"), user: "www-data"))
        XCTAssertEqual(ran.status, 0, ran.text + ran.stderr)
        let www = try XCTUnwrap(getpwnam("www-data")?.pointee)
        XCTAssertEqual(try sh("install -d -o www-data -g www-data -m 0750 '\(dir)/run-lighttpd'").status, 0)
        let port = try Harness.freePort()
        let conf = """
            server.document-root = "\(dir)"
            server.bind = "127.0.0.1"
            server.port = \(port)
            server.username = "www-data"
            server.groupname = "\(String(cString: getgrgid(www.pw_gid).pointee.gr_name))"
            server.errorlog = "\(dir)/run-lighttpd/error.log"

            """ + localized(try Self.recipe("lighttpd.conf"), user: "www-data")
        let lighttpd = try Lighttpd.start(conf: conf, in: dir)
        defer { lighttpd.stop() }
        try assertAliceSignsIn("http://127.0.0.1:\(port)")
        for path in ["/lib", "/lib/gatehouse.sqlite3", "/lib/secret_key"] {
            XCTAssertEqual(Self.owner(dir + path)?.uid, www.pw_uid, "\(path) is www-data's")
        }
        let gatehouse = Harness.children(of: lighttpd.process.processIdentifier)
            .filter { (try? String(contentsOfFile: "/proc/\($0)/cmdline", encoding: .utf8))?.contains("gatehouse") == true }
        XCTAssertEqual(gatehouse.count, 1, "one master under lighttpd")
        for pid in gatehouse { XCTAssertEqual(Self.uid(of: pid), www.pw_uid) }
        let log = (try? String(contentsOfFile: dir + "/run-lighttpd/error.log", encoding: .utf8)) ?? ""
        let metrics = try Harness.run("/usr/bin/curl", ["-sS", "http://127.0.0.1:\(port)/auth/metrics"]).text
        XCTAssertTrue(metrics.contains("gatehouse_workers{pool=\"main\"} 2\n"), metrics + log)
    }

    /// Runs `gatehouse serve` with `settings` until it exits or `until` holds; stops it by PID.
    func serve(_ settings: [String: String], until: () -> Bool = { false }) throws -> (status: Int32?, log: String) {
        let text = settings.map { "\($0.key) = \($0.value)\n" }.joined()
        try text.write(toFile: dir + "/serve.conf", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Harness.binary)
        process.arguments = ["serve", "--config", dir + "/serve.conf"]
        process.environment = Harness.cleanEnvironment([:])
        let log = FileHandle(forWritingAtPath: try Harness.createFile(dir + "/serve.log"))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline && !until() { usleep(50_000) }
        var status: Int32?
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            if !Harness.wait(process, timeout: 10) { kill(process.processIdentifier, SIGKILL); _ = Harness.wait(process, timeout: 5) }
        } else {
            process.waitUntilExit()
            status = process.terminationStatus
        }
        return (status, (try? String(contentsOfFile: dir + "/serve.log", encoding: .utf8)) ?? "")
    }

    func testServeCreatesItsSocketFolderForItsUser() throws {
        let nobody = try XCTUnwrap(getpwnam("nobody")?.pointee)
        let folder = dir + "/made/by-serve"
        var seen: (uid: uid_t, mode: mode_t)?
        let run = try serve(["data_dir": dir + "/data", "user": "nobody", "workers": "1", "login_pool": "false",
                             "listen": "unix:\(folder)/gatehouse.sock"]) {
            guard FileManager.default.fileExists(atPath: folder + "/gatehouse.sock") else { return false }
            seen = Self.owner(folder)
            return true
        }
        XCTAssertNil(run.status, "it kept serving: \(run.log)")
        XCTAssertEqual(seen?.uid, nobody.pw_uid, run.log)
        XCTAssertEqual(seen?.mode, 0o755)
        XCTAssertEqual(Self.owner(dir + "/data/gatehouse.sqlite3")?.uid, nobody.pw_uid)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/gatehouse.sock"), "removed on stop, by serve's own user")
    }

    func testServeRefusesASocketFolderSomeoneElseOwns() throws {
        let nobody = try XCTUnwrap(getpwnam("nobody")?.pointee)
        let folder = dir + "/theirs"
        XCTAssertEqual(mkdir(folder, 0o755), 0)
        chown(folder, nobody.pw_uid, nobody.pw_gid)
        let run = try serve(["data_dir": dir + "/data", "workers": "1", "login_pool": "false", "listen": "unix:\(folder)/gatehouse.sock"])
        XCTAssertEqual(run.status, 1, run.log)
        XCTAssertTrue(run.log.contains("socket folder \(folder) belongs to nobody, who could replace the socket nginx connects to"), run.log)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/gatehouse.sock"))
    }

    func testServeNamesAUserThatDoesNotExist() throws {
        let run = try serve(["data_dir": dir + "/data", "user": "no-such-gatehouse-user", "listen": "unix:\(dir)/gatehouse.sock"])
        XCTAssertEqual(run.status, 1, run.log)
        XCTAssertTrue(run.log.contains("user = no-such-gatehouse-user: no such user"), run.log)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/data"), "nothing was created for it")
    }
}
