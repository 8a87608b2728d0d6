import Foundation
import XCTest

/// `gatehouse serve`'s second pool: login workers on their own socket, at a lower CPU
/// priority, that nginx (gatehouse.conf as shipped) sends exactly `POST {prefix}/token` to.
final class LoginPoolTests: XCTestCase {
    static let password = "correct horse"

    func addUser(_ h: Harness, _ name: String = "bob") throws {
        let out = try h.gatehouse(["user", "add", name, "--scopes", "me", "--password-stdin"], stdin: Array((LoginPoolTests.password + "\n").utf8))
        XCTAssertEqual(out.status, 0, out.stderr)
    }

    /// The access token from a login through nginx at `mount`; fails the test otherwise.
    func login(_ h: Harness, at mount: String, user: String = "bob") throws -> String {
        let r = try h.curl(["-d", "username=\(user)&password=correct+horse&scope=me", h.url(mount + "/token")])
        XCTAssertEqual(r.status, 200, r.text)
        guard let object = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
              let token = object["access_token"] as? String
        else { throw HarnessError("no access_token in \(r.text)") }
        return token
    }

    /// curl's exit status and HTTP code for a request that may time out (28).
    func attempt(_ args: [String], seconds: Int) throws -> (exit: Int32, code: String) {
        let out = try Harness.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", String(seconds)] + args)
        return (out.status, out.text)
    }

    func testTokenRequestsReachTheNicedLoginWorkersOnly() throws {
        let h = try Harness.start(workers: 2, server: .serve)
        defer { h.stop() }
        try addUser(h)
        let main = h.workerPIDs()
        let logins = h.loginWorkerPIDs()
        XCTAssertEqual(main.count, 2)
        XCTAssertEqual(logins.count, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: h.loginSocketPath), "login socket next to \(h.socketPath)")
        let masterNice = Harness.niceness(h.server!.processIdentifier)!
        for pid in main { XCTAssertEqual(Harness.niceness(pid), masterNice, "main workers keep the master's priority") }
        for pid in logins { XCTAssertEqual(Harness.niceness(pid), min(19, masterNice + 10), "login_nice defaults to 10") }

        for mount in ["/auth", ""] {
            let token = try login(h, at: mount)
            let me = try h.curl(["-H", "Authorization: Bearer \(token)", h.url(mount + "/users/me/")])
            XCTAssertEqual(me.status, 200)
            XCTAssertTrue(me.text.hasPrefix(#"{"username":"bob","#), me.text)
        }

        // With the login workers frozen, only POST …/token waits; everything else answers.
        let token = try login(h, at: "/auth")
        for pid in logins { kill(pid, SIGSTOP) }
        defer { for pid in logins { kill(pid, SIGCONT) } }
        XCTAssertEqual(try attempt(["-d", "username=bob&password=x", h.url("/auth/token")], seconds: 1).exit, 28, "POST /token waits for the login pool")
        XCTAssertEqual(try attempt(["-d", "username=bob&password=x", h.url("/token")], seconds: 1).exit, 28)
        XCTAssertEqual(try attempt(["-H", "Authorization: Bearer \(token)", h.url("/auth/users/me/")], seconds: 5).code, "200")
        XCTAssertEqual(try attempt(["-u", "bob:correct horse", h.url("/users/me/")], seconds: 5).code, "200", "Basic hashes in the main pool")
        XCTAssertEqual(try attempt([h.url("/auth/token")], seconds: 5).code, "405", "GET /token is not a login")
        XCTAssertEqual(try attempt(["-d", "", h.url("/auth/token/")], seconds: 5).code, "307", "only the exact path")
        XCTAssertEqual(try attempt(["-d", "", h.url("/auth/tokens")], seconds: 5).code, "404")
        XCTAssertEqual(try attempt(["-d", "", h.url("/auth/x/token")], seconds: 5).code, "404")
        for pid in logins { kill(pid, SIGCONT) }
        _ = try login(h, at: "/auth")
    }

    func testLoginPoolRestartsAndReloads() throws {
        var settings = ["workers": "1", "login_workers": "1", "login_nice": "5"]
        let h = try Harness.start(config: settings)
        defer { h.stop() }
        try addUser(h)
        let victim = h.loginWorkerPIDs().first!
        let main = h.workerPIDs()
        kill(victim, SIGKILL)
        var after: Set<Int32> = []
        let deadline = Date().addingTimeInterval(1.5)
        while Date() < deadline {
            after = h.loginWorkerPIDs()
            if after.count == 1 && !after.contains(victim) { break }
            usleep(20_000)
        }
        XCTAssertEqual(after.count, 1, "a new login worker within a second")
        XCTAssertFalse(after.contains(victim))
        XCTAssertEqual(h.workerPIDs(), main, "the main pool is untouched")
        let masterNice = Harness.niceness(h.server!.processIdentifier)!
        XCTAssertEqual(Harness.niceness(after.first!), min(19, masterNice + 5))
        XCTAssertTrue(h.serverLog().contains("login worker \(victim) was killed by signal 9"), h.serverLog())
        _ = try login(h, at: "/auth")

        // SIGHUP applies login_workers and login_nice to a fresh login pool.
        settings["login_workers"] = "2"
        settings["login_nice"] = "12"
        settings["data_dir"] = h.dir + "/data"
        settings["log_level"] = "info"
        try h.writeConfig(settings)
        h.signalServer(SIGHUP)
        var fresh: Set<Int32> = []
        let reloadDeadline = Date().addingTimeInterval(5)
        while Date() < reloadDeadline {
            fresh = h.loginWorkerPIDs()
            if fresh.count == 2 && fresh.isDisjoint(with: after) && h.workerPIDs().isDisjoint(with: main) { break }
            usleep(20_000)
        }
        XCTAssertEqual(fresh.count, 2)
        XCTAssertTrue(fresh.isDisjoint(with: after))
        for pid in fresh { XCTAssertEqual(Harness.niceness(pid), min(19, masterNice + 12)) }
        XCTAssertEqual(h.workerPIDs().count, 1)
        _ = try login(h, at: "")

        // SIGTERM drains both pools and removes both sockets.
        h.signalServer(SIGTERM)
        XCTAssertEqual(h.waitForServerExit(timeout: 10), 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.socketPath))
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.loginSocketPath))
    }

    func testDisabledLoginPoolStillServesLogins() throws {
        let h = try Harness.start(config: ["login_pool": "false"])
        defer { h.stop() }
        try addUser(h)
        XCTAssertEqual(h.loginWorkerPIDs(), [])
        XCTAssertEqual(h.workerPIDs().count, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.loginSocketPath))
        for mount in ["/auth", ""] {
            let token = try login(h, at: mount)
            XCTAssertEqual(try h.curl(["-H", "Authorization: Bearer \(token)", h.url(mount + "/users/me/")]).status, 200)
        }
    }

    func testInheritedSocketKeepsOnePool() throws {
        let h = try Harness.start(workers: 1, server: .spawnFCGI)
        defer { h.stop() }
        try addUser(h)
        _ = try login(h, at: "/auth")
        XCTAssertEqual(h.loginWorkerPIDs(), [])
        XCTAssertEqual(h.workerPIDs().count, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.loginSocketPath))
    }

    func testLoginSettingsAreValidated() throws {
        let dir = NSTemporaryDirectory() + "gatehouse-loginpool-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = dir + "/gatehouse.conf"
        let cases: [(settings: String, args: [String], message: String)] = [
            ("login_nice = 20", [], "config key 'login_nice' (\(config):2): expected an integer from 0 to 19, got '20'"),
            ("login_nice = -1", [], "expected an integer from 0 to 19, got '-1'"),
            ("login_workers = -1", [], "config key 'login_workers' (\(config):2): expected an integer from 0 to 256, got '-1'"),
            ("login_pool = maybe", [], "config key 'login_pool' (\(config):2): expected true or false, got 'maybe'"),
            ("login_listen =", [], "config key 'login_listen' (\(config):2): expected unix:/path or host:port"),
            ("login_listen = unix:\(dir)/g.sock", ["--listen", "unix:\(dir)/g.sock"], "login_listen: must differ from listen"),
            ("", ["--listen", "127.0.0.1:65535"], "login_listen: cannot be derived from listen '127.0.0.1:65535'; set it"),
            ("", ["--login-workers", "0"], "--login-workers: expected 1 to 256"),
        ]
        for c in cases {
            try "data_dir = \(dir)/data\n\(c.settings)\n".write(toFile: config, atomically: true, encoding: .utf8)
            let out = try Harness.run(Harness.binary, ["serve", "--config", config, "--workers", "1"] + c.args)
            XCTAssertNotEqual(out.status, 0, c.settings)
            XCTAssertTrue(out.stderr.contains(c.message), "\(c.settings): \(out.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/g.sock"), "nothing is left bound")
        }
    }

    func testLoginSocketIsDerivedFromListen() throws {
        let dir = NSTemporaryDirectory() + "gatehouse-loginpool-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "data_dir = \(dir)/data\nworkers = 1\nlogin_workers = 1\n".write(toFile: dir + "/g.conf", atomically: true, encoding: .utf8)
        let port = try Harness.freePort()
        let cases: [(args: [String], expected: [String])] = [
            (["--listen", "unix:\(dir)/api.sock"], ["listening on unix:\(dir)/api.sock with 1 main", "listening on unix:\(dir)/api-login.sock with 1 login"]),
            (["--listen", "unix:\(dir)/api"], ["listening on unix:\(dir)/api-login with 1 login"]),
            (["--listen", "127.0.0.1:\(port)", "--login-listen", "unix:\(dir)/l.sock", "--login-workers", "2"],
             ["listening on 127.0.0.1:\(port) with 1 main", "listening on unix:\(dir)/l.sock with 2 login"]),
            (["--listen", "unix:\(dir)/api.sock", "--no-login-pool"], ["listening on unix:\(dir)/api.sock with 1 main"]),
        ]
        for c in cases {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Harness.binary)
            process.arguments = ["serve", "--config", dir + "/g.conf"] + c.args
            process.environment = Harness.cleanEnvironment([:])
            let log = dir + "/serve.log"
            process.standardError = FileHandle(forWritingAtPath: try Harness.createFile(log))
            try process.run()
            var text = ""
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                if c.expected.allSatisfy(text.contains) { break }
                usleep(50_000)
            }
            kill(process.processIdentifier, SIGTERM)
            XCTAssertTrue(Harness.wait(process, timeout: 10))
            for line in c.expected { XCTAssertTrue(text.contains(line), "\(c.args): \(text)") }
            XCTAssertEqual(text.contains("login workers"), c.expected.contains { $0.hasSuffix("login") }, text)
        }
    }
}
