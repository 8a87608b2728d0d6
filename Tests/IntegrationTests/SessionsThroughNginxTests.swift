import Foundation
import XCTest

/// Sessions, refresh rotation and revocation through nginx, across the prefork workers.
final class SessionsThroughNginxTests: XCTestCase {
    var e: E2E!
    override func setUpWithError() throws { e = try E2E() }
    override func tearDown() { e?.stop() }

    func json(_ r: HTTPResult) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any], r.text)
    }

    func offlineLogin() throws -> (access: String, refresh: String) {
        let body = try json(try e.login(scope: "me items offline_access"))
        return (try XCTUnwrap(body["access_token"] as? String), try XCTUnwrap(body["refresh_token"] as? String))
    }

    func refresh(_ token: String) throws -> HTTPResult {
        try e.curl(["-d", "grant_type=refresh_token&refresh_token=\(token)", e.url("/auth/token")])
    }

    func testRotationReuseAndLogout() throws {
        let (access, first) = try offlineLogin()
        let rotated = try refresh(first)
        XCTAssertEqual(rotated.status, 200, rotated.text)
        let second = try XCTUnwrap(try json(rotated)["refresh_token"] as? String)
        XCTAssertEqual(try json(try refresh(first))["refresh_token"] as? String, second, "a retry within the grace window")
        let third = try XCTUnwrap(try json(try refresh(second))["refresh_token"] as? String)
        let latest = try XCTUnwrap(try json(try refresh(third))["access_token"] as? String)
        XCTAssertEqual(try e.bearer("/auth/users/me/", latest).status, 200)

        let logout = try e.curl(["-X", "POST", "-H", "Authorization: Bearer \(latest)", e.url("/auth/logout")])
        XCTAssertAnswer(logout, 204, "")
        XCTAssertAnswer(try e.bearer("/auth/users/me/", latest), 401, E2E.couldNotValidate)
        XCTAssertAnswer(try e.bearer("/auth/users/me/", access), 401, E2E.couldNotValidate)
        XCTAssertEqual(try refresh(third).status, 400)
        e.assertNoLeaks()
    }

    func testTenConcurrentRefreshesOfOneTokenRotateItOnce() throws {
        let (_, first) = try offlineLogin()
        let script = """
            for i in $(seq 10); do
                curl -sS --max-time 30 -o "$DIR/$i" -w '%{http_code}\\n' -d "grant_type=refresh_token&refresh_token=\(first)" \
                    '\(e.url("/auth/token"))' &
            done
            wait
            """
        let dir = e.h.dir + "/concurrent"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let out = try Harness.run("/bin/bash", ["-c", script], environment: ["DIR": dir])
        let codes = String(decoding: out.stdout, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(codes.count, 10, out.stderr)
        var successors = Set<String>()
        for i in 1...10 {
            let body = try XCTUnwrap(FileManager.default.contents(atPath: "\(dir)/\(i)"))
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: body) as? [String: Any])
            if let next = object["refresh_token"] as? String { successors.insert(next) } else {
                XCTAssertEqual(object["error"] as? String, "invalid_grant")
            }
        }
        XCTAssertEqual(successors.count, 1, "exactly one rotation: \(successors)")
        XCTAssertEqual(try refresh(try XCTUnwrap(successors.first)).status, 200, "the session lives on")
    }

    func testAReusedTokenAfterTheGraceWindowEndsTheFamily() throws {
        e.stop()
        e = try E2E(config: ["refresh_token_reuse_grace_seconds": "0"])
        let (access, first) = try offlineLogin()
        let second = try XCTUnwrap(try json(try refresh(first))["refresh_token"] as? String)
        XCTAssertAnswer(try refresh(first), 400,
                        #"{"error":"invalid_grant","error_description":"The refresh token is invalid, expired or revoked"}"#,
                        [("cache-control", "no-store")])
        XCTAssertEqual(try refresh(second).status, 400, "the whole family ended")
        XCTAssertEqual(try e.bearer("/auth/users/me/", access).status, 401)
    }

    func testSessionListRevokeAndPasswordChange() throws {
        let (access, refresh) = try offlineLogin()
        let other = try e.token()
        let list = try e.bearer("/auth/users/me/sessions", access)
        XCTAssertEqual(list.status, 200, list.text)
        let sessions = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(list.body)) as? [[String: Any]])
        XCTAssertEqual(sessions.count, 2)
        XCTAssertEqual(sessions.filter { $0["current"] as? Bool == true }.count, 1)
        XCTAssertEqual(sessions.first?["client_address"] as? String, "127.0.0.1")
        XCTAssertTrue((sessions.first?["user_agent"] as? String ?? "").hasPrefix("curl/"))
        let otherID = try XCTUnwrap(sessions.first { $0["current"] as? Bool == false }?["id"] as? String)
        XCTAssertAnswer(try e.curl(["-X", "DELETE", "-H", "Authorization: Bearer \(access)", e.url("/auth/users/me/sessions/\(otherID)")]),
                        204, "")
        XCTAssertAnswer(try e.bearer("/auth/users/me/", other), 401, E2E.couldNotValidate)

        let listed = try e.cli(["session", "list", "johndoe"]).text
        XCTAssertTrue(listed.contains("127.0.0.1"), listed)
        XCTAssertEqual(try e.cli(["user", "set-password", "johndoe", "--password-stdin"], stdin: "newsecret\n").status, 0)
        XCTAssertAnswer(try e.bearer("/auth/users/me/", access), 401, E2E.couldNotValidate)
        XCTAssertEqual(try self.refresh(refresh).status, 400, "a new password ends every session")
        XCTAssertEqual(try e.cli(["session", "list", "johndoe"]).text.split(separator: "\n").count, 1, "only the header")
        e.secrets += ["newsecret"]
    }

    func testRevocationEndpointAndCLI() throws {
        let (access, refresh) = try offlineLogin()
        XCTAssertAnswer(try e.curl(["-d", "token=\(refresh)", e.url("/auth/revoke")]), 200, "")
        XCTAssertEqual(try e.bearer("/auth/users/me/", access).status, 401)
        XCTAssertAnswer(try e.curl(["-d", "token=unknown", e.url("/auth/revoke")]), 200, "")
        _ = try e.token()
        _ = try e.token()
        XCTAssertEqual(try e.cli(["session", "revoke-all", "johndoe"]).text, "ended 2 sessions of 'johndoe'\n")
    }
}
