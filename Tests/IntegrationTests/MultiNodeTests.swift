import Foundation
import PostgreSQLSupport
import Synchronization
import XCTest

/// Two Gatehouse masters with nothing shared but a real PostgreSQL (and the signing secret),
/// each behind its own nginx, and node A's nginx also sending `/both/` to an upstream of the
/// two sockets, as the README's several-nodes recipe does.
final class MultiNodeTests: XCTestCase {
    var a: E2E!
    var b: Harness!
    var database: String!
    /// The signing secret every node reads (as a deployment would copy it to each).
    var secretFile: String!

    override func setUpWithError() throws {
        database = try PostgreSQLServer.shared().createDatabase()
        secretFile = NSTemporaryDirectory() + "gh-nodes-secret-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: secretFile, contents: Data("one-secret-every-node-shares-0123456789abcdef\n".utf8),
                                       attributes: [.posixPermissions: 0o600])
        try start()
    }

    func start(_ settings: [String: String] = [:]) throws {
        let config = ["database": database!, "secret_key_file": secretFile!].merging(settings) { $1 }
        b = try Harness.start(config: E2E.settings.merging(config) { $1 })
        let upstream = "upstream gatehouse_nodes { server unix:@SOCKET@; server unix:\(b.socketPath); }"
        let location = """
            location /both/ {
                fastcgi_split_path_info ^(?s)(/both)(/.*)$;
                include /etc/nginx/fastcgi_params;
                fastcgi_param SCRIPT_NAME $fastcgi_script_name;
                fastcgi_param PATH_INFO $fastcgi_path_info;
                fastcgi_next_upstream error timeout;
                fastcgi_pass gatehouse_nodes;
            }
            """
        a = try E2E(config: config, nginxHTTPDirectives: upstream, nginxServerDirectives: location)
    }

    override func tearDown() {
        a?.stop()
        b?.stop()
        try? FileManager.default.removeItem(atPath: secretFile)
    }

    func bearer(_ h: Harness, _ path: String, _ token: String) throws -> HTTPResult {
        try h.curl(["-H", "Authorization: Bearer \(token)", h.url(path)])
    }

    func testSignInOnARefreshOnBRevokeOnBAndARefusesTheNextRequest() throws {
        let login = try a.login(scope: "me items offline_access")
        XCTAssertEqual(login.status, 200, login.text)
        let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(login.body)) as? [String: Any])
        let refresh = try XCTUnwrap(body["refresh_token"] as? String)
        let refreshed = try b.curl(["--data-urlencode", "grant_type=refresh_token", "--data-urlencode", "refresh_token=\(refresh)",
                                    b.url("/auth/token")])
        XCTAssertEqual(refreshed.status, 200, refreshed.text)
        let token = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(refreshed.body)) as? [String: Any])?["access_token"] as? String)
        XCTAssertEqual(try bearer(a.h, "/auth/users/me/", token).text, E2E.johnMe)
        XCTAssertEqual(try b.curl(["-X", "POST", "-H", "Authorization: Bearer \(token)", b.url("/auth/logout")]).status, 204)
        XCTAssertAnswer(try bearer(a.h, "/auth/users/me/", token), 401, E2E.couldNotValidate)
        let spent = try a.h.curl(["--data-urlencode", "grant_type=refresh_token", "--data-urlencode", "refresh_token=\(refresh)",
                                  a.url("/auth/token")])
        XCTAssertEqual(spent.status, 400, "the session was ended on B: \(spent.text)")
    }

    func testABanMadeOnAIsAnsweredOnB() throws {
        a.stop()
        b.stop()
        database = try PostgreSQLServer.shared().createDatabase()
        try start(["throttle_address_max_failures": "3"])
        for _ in 0..<3 { XCTAssertEqual(try a.login("johndoe", "wrong").status, 400) }
        let banned = try b.curl(["--data-urlencode", "username=johndoe", "--data-urlencode", "password=secret", b.url("/auth/token")])
        XCTAssertAnswer(banned, 429, #"{"detail":"Too many failed login attempts"}"#)
        XCTAssertNotNil(banned.header("retry-after"))
    }

    /// Sequential requests through the upstream while node A dies: only a request in flight on
    /// A can fail; nginx takes the next ones to B.
    func testNginxCarriesOnThroughBWhenAIsKilled() throws {
        var statuses: [Int] = []
        for i in 0..<120 {
            if i == 40 {
                guard let master = a.h.server?.processIdentifier else { return XCTFail("no master") }
                for pid in Harness.children(of: master) { kill(pid, SIGKILL) }
                kill(master, SIGKILL)
            }
            statuses.append((try? a.h.curl(["--max-time", "5", a.url("/both/health")]).status) ?? 0)
        }
        XCTAssertLessThanOrEqual(statuses.filter { $0 != 200 }.count, 1, "\(statuses)")
        XCTAssertEqual(statuses.suffix(70).filter { $0 != 200 }, [])
    }

    /// PostgreSQL restarted under both nodes: while it is down, what needs the database fails
    /// fast with 503; once it is back, both answer again without being restarted.
    func testBothNodesRecoverFromAPostgreSQLRestart() throws {
        let token = try a.token()
        XCTAssertEqual(try bearer(b, "/auth/users/me/", token).status, 200)
        try PostgreSQLServer.shared().restart {
            for node in [a.h, b!] {
                let started = Date()
                let down = try bearer(node, "/auth/users/me/", token)
                XCTAssertAnswer(down, 503, #"{"detail":"Service unavailable"}"#)
                XCTAssertNotNil(down.header("retry-after"))
                XCTAssertLessThan(Date().timeIntervalSince(started), 10, "fails fast, no hang")
                XCTAssertEqual(try node.curl([node.url("/auth/health")]).status, 200, "what needs no database still answers")
            }
        }
        // Each worker reopens its connection at most once a second.
        let deadline = Date().addingTimeInterval(20)
        var last: [Int] = []
        while Date() < deadline {
            last = try [a.h, b!].map { try bearer($0, "/auth/users/me/", token).status }
            if last == [200, 200] { break }
            usleep(200_000)
        }
        XCTAssertEqual(last, [200, 200])
    }

    // MARK: key rotation

    /// The settings file of a node as Harness.start writes it, plus `settings`.
    func rewriteConfig(_ h: Harness, _ settings: [String: String]) throws {
        var all = ["data_dir": h.dir + "/data", "workers": "2", "log_level": "info", "login_workers": "1"]
        all.merge(E2E.settings) { $1 }
        all.merge(["database": database!, "secret_key_file": secretFile!]) { $1 }
        all.merge(settings) { $1 }
        try h.writeConfig(all)
    }

    func kids(_ h: Harness) throws -> [String] {
        let jwks = try JSONSerialization.jsonObject(with: Data(try h.curl([h.url("/auth/.well-known/jwks.json")]).body))
        return ((jwks as? [String: Any])?["keys"] as? [[String: Any]] ?? []).compactMap { $0["kid"] as? String }
    }

    /// Sends SIGHUP to each node in turn and waits until its JWKS names `kids`.
    func reload(_ nodes: [Harness], until kids: Set<String>) throws {
        for node in nodes {
            node.signalServer(SIGHUP)
            let deadline = Date().addingTimeInterval(15)
            while try Set(self.kids(node)) != kids {
                guard Date() < deadline else { return XCTFail("\(node.dir) still publishes \(try self.kids(node))") }
                usleep(100_000)
            }
        }
    }

    static func makeKey(_ dir: String, _ name: String) throws -> (private: String, public: String) {
        let key = dir + "/\(name).pem", pub = dir + "/\(name).pub.pem"
        for args in [["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key],
                     ["pkey", "-in", key, "-pubout", "-out", pub]] {
            let out = try Harness.run("/usr/bin/openssl", args)
            guard out.status == 0 else { throw HarnessError("openssl \(args): \(out.stderr)") }
        }
        chmod(key, 0o600)
        chmod(pub, 0o600)
        return (key, pub)
    }

    /// The README's rotation, under a stream of requests to both nodes with every token issued
    /// so far: not one request fails. The old key's tokens stop working only when it is retired,
    /// which a site does once they have expired.
    func testASigningKeyIsRotatedUnderLoadWithoutAFailedRequest() throws {
        let keys = NSTemporaryDirectory() + "gh-rotation-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let k1 = try MultiNodeTests.makeKey(keys, "k1"), k2 = try MultiNodeTests.makeKey(keys, "k2")
        let first = ["jwt_algorithm": "ES256", "jwt_private_key_file": k1.private, "jwt_key_id": "k1"]
        a.stop()
        b.stop()
        database = try PostgreSQLServer.shared().createDatabase()
        try start(first)
        let nodes = [a.h, b!]
        XCTAssertEqual(try kids(a.h), ["k1"])

        let tokens = Mutex<[String]>([try a.token()])
        let failures = Mutex<[String]>([])
        let requests = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        nonisolated(unsafe) let targets = nodes  // only curl'd from the thread: Harness.curl keeps no state
        let load = Thread {
            var turn = 0
            while !stop.load(ordering: .relaxed) {
                turn += 1
                let node = targets[turn % 2]
                for token in tokens.withLock({ $0 }) {
                    let status = (try? node.curl(["-H", "Authorization: Bearer \(token)", node.url("/auth/users/me/")]).status) ?? 0
                    requests.add(1, ordering: .relaxed)
                    if status != 200 { failures.withLock { $0.append("\(status) on \(turn % 2 == 0 ? "A" : "B")") } }
                }
            }
        }
        load.start()
        defer { stop.store(true, ordering: .relaxed) }

        // 1. Every node learns the new key, for verifying only.
        for node in nodes { try rewriteConfig(node, first.merging(["jwt_verify_keys": "k2:ES256:\(k2.public)"]) { $1 }) }
        try reload(nodes, until: ["k1", "k2"])
        // 2. Then every node signs with it and keeps the old one for verifying.
        let second = ["jwt_algorithm": "ES256", "jwt_private_key_file": k2.private, "jwt_key_id": "k2",
                      "jwt_verify_keys": "k1:ES256:\(k1.public)"]
        for node in nodes { try rewriteConfig(node, second) }
        try reload(nodes, until: ["k1", "k2"])
        let fresh = try b.curl(["--data-urlencode", "username=johndoe", "--data-urlencode", "password=secret",
                                "--data-urlencode", "scope=me items", b.url("/auth/token")])
        let token = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(fresh.body)) as? [String: Any])?["access_token"] as? String)
        XCTAssertEqual(try XCTUnwrap(JSONSerialization.jsonObject(with: E2E.base64URL(token.split(separator: ".")[0])!) as? [String: Any])["kid"] as? String, "k2")
        tokens.withLock { $0.append(token) }
        let before = requests.load(ordering: .relaxed)
        while requests.load(ordering: .relaxed) < before + 20 { usleep(50_000) }
        // 3. Once the old key's tokens have expired, it is retired.
        let old = tokens.withLock { tokens -> String in
            defer { tokens.removeFirst() }
            return tokens[0]
        }
        for node in nodes { try rewriteConfig(node, second.merging(["jwt_verify_keys": ""]) { $1 }) }
        try reload(nodes, until: ["k2"])
        let after = requests.load(ordering: .relaxed)
        while requests.load(ordering: .relaxed) < after + 20 { usleep(50_000) }
        stop.store(true, ordering: .relaxed)
        while !load.isFinished { usleep(20_000) }

        XCTAssertEqual(failures.withLock { $0 }, [], "out of \(requests.load(ordering: .relaxed)) requests")
        XCTAssertGreaterThanOrEqual(requests.load(ordering: .relaxed), 40, "20 after each of the last two reloads at least")
        for node in nodes {
            XCTAssertAnswer(try bearer(node, "/auth/users/me/", old), 401, E2E.couldNotValidate)
            XCTAssertEqual(try bearer(node, "/auth/users/me/", token).status, 200)
        }
    }
}
