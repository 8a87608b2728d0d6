import Foundation
import PostgreSQLSupport
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
}
