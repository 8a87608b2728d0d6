import Foundation
import XCTest

/// HTTP Basic, API keys (header, query, cookie; HTTP and CLI) and the admin routes'
/// 403-versus-401 through nginx and curl.
final class SchemesThroughNginxTests: E2ETestCase {
    func testBasicEndToEnd() throws {
        for mount in ["", "/auth"] {
            let me = mount + "/users/me/"
            XCTAssertAnswer(try e.get(me, [], ["-u", "johndoe:secret"]), 200, E2E.johnMe, [("www-authenticate", nil)])
            // Basic carries the user's own scopes.
            XCTAssertAnswer(try e.get(mount + "/users/me/items/", [], ["-u", "johndoe:secret"]), 200,
                            #"[{"item_id":"Foo","owner":"johndoe"}]"#)
            for wrong in ["johndoe:wrong", "ghost:secret", "johndoe:", "johndoe:secret:"] {
                XCTAssertAnswer(try e.get(me, [], ["-u", wrong]), 401, E2E.incorrectLogin, [("www-authenticate", "Basic")])
            }
            XCTAssertAnswer(try e.get(me, ["Authorization: Basic am9obmRvZTpzZWNyZXQ"]), 401, E2E.notAuthenticated,
                            [("www-authenticate", "Basic")])
            XCTAssertAnswer(try e.get(me, [], ["-u", "alice:secretalice"]), 400, E2E.inactiveUser)
            XCTAssertAnswer(try e.get(me, [], ["-u", "root:rootpass"]), 200,
                            #"{"username":"root","email":null,"full_name":null,"disabled":false}"#)
            // A scope the user lacks is 401 with the Bearer challenge, whatever the scheme.
            XCTAssertAnswer(try e.get(mount + "/users/me/items/", [], ["-u", "root:rootpass"]), 401, E2E.notEnoughPermissions,
                            [("www-authenticate", #"Bearer scope="items me""#)])
        }
    }

    /// The per-worker Basic cache must forget a password the moment it is replaced, even
    /// when the change lands in the same second as the previous one (a provisioning script
    /// that runs `user add` then `user set-password`).
    func testBasicCacheForgetsAPasswordChangedWithinTheSameSecond() throws {
        // Start at the top of a second so that everything below fits in it.
        while Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 1) > 0.05 { usleep(10_000) }
        let start = Int(Date().timeIntervalSince1970)
        try e.addUser("erin", "firstpass", scopes: "me")
        for _ in 0..<4 {  // both workers remember the first password
            XCTAssertEqual(try e.get("/users/me/", [], ["-u", "erin:firstpass"]).status, 200)
        }
        try e.cli(["user", "set-password", "erin", "--password-stdin"], stdin: "secondpass\n")
        let sameSecond = Int(Date().timeIntervalSince1970) == start
        for _ in 0..<4 {
            XCTAssertAnswer(try e.get("/users/me/", [], ["-u", "erin:firstpass"]), 401, E2E.incorrectLogin,
                            [("www-authenticate", "Basic")])
        }
        XCTAssertEqual(try e.get("/users/me/", [], ["-u", "erin:secondpass"]).status, 200)
        if !sameSecond { print("note: the password change crossed a second boundary; the race was not exercised") }
        try e.cli(["user", "delete", "erin"])
        e.secrets += ["firstpass", "secondpass"]
    }

    func createKey(_ auth: [String], _ body: String, mount: String = "/auth") throws -> HTTPResult {
        try e.curl(auth + ["-H", "Content-Type: application/json", "-d", body, e.url(mount + "/users/me/api-keys")])
    }

    func testAPIKeyLifecycle() throws {
        let token = try e.token()
        let created = try createKey(["-H", "Authorization: Bearer \(token)"], #"{"name":"ci","scopes":["me"]}"#)
        XCTAssertEqual(created.status, 201, created.text)
        XCTAssertEqual(created.header("content-type"), "application/json")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(created.body)) as? [String: Any])
        XCTAssertTrue(created.text.hasPrefix(#"{"id":""#), created.text)
        XCTAssertTrue(created.text.contains(#","name":"ci","scopes":["me"],"created_at":""#), created.text)
        XCTAssertTrue(created.text.contains(#","expires_at":null,"last_used_at":null,"revoked_at":null,"key":"gh_"#), created.text)
        let key = try XCTUnwrap(json["key"] as? String)
        let id = try XCTUnwrap(json["id"] as? String)
        let (keyID, secret) = try E2E.keyParts(key)
        XCTAssertEqual(keyID, id)
        XCTAssertEqual(secret.count, 43, "32 random bytes in base64url")
        // The creation answer is the one place the secret may appear.
        e.assertNoLeaks()
        e.secrets.append(secret)

        for mount in ["", "/auth"] {
            XCTAssertAnswer(try e.get(mount + "/users/me/", ["X-API-Key: \(key)"]), 200, E2E.johnMe)
            XCTAssertAnswer(try e.get(mount + "/users/me/?api_key=\(key)"), 200, E2E.johnMe)
            XCTAssertAnswer(try e.get(mount + "/users/me/", [], ["-b", "api_key=\(key)"]), 200, E2E.johnMe)
            XCTAssertAnswer(try e.get(mount + "/users/me/items/", ["X-API-Key: \(key)"]), 401, E2E.notEnoughPermissions,
                            [("www-authenticate", #"Bearer scope="items me""#)])
            // Query and cookie keys only on read-only routes: the key list is not one.
            XCTAssertAnswer(try e.get(mount + "/users/me/api-keys?api_key=\(key)"), 401, E2E.notAuthenticated, [("www-authenticate", "Bearer")])
            XCTAssertAnswer(try e.get(mount + "/users/me/api-keys", [], ["-b", "api_key=\(key)"]), 401, E2E.notAuthenticated)
        }

        let list = try e.bearer("/auth/users/me/api-keys", token)
        XCTAssertEqual(list.status, 200)
        XCTAssertTrue(list.text.contains(#""id":"\#(id)","name":"ci""#), list.text)
        XCTAssertTrue(list.text.contains(#""last_used_at":"20"#), "the key was used: \(list.text)")
        XCTAssertFalse(list.text.contains(secret), "the secret is never listed")
        XCTAssertFalse(list.text.contains(#""key""#))
        XCTAssertAnswer(try e.get("/auth/users/me/api-keys", ["X-API-Key: \(key)"]), 401, E2E.notAuthenticated,
                        [("www-authenticate", "Bearer")])  // a key neither lists nor revokes keys

        // A key cannot mint keys: only a token or a password can.
        XCTAssertAnswer(try createKey(["-H", "X-API-Key: \(key)"], #"{"name":"x"}"#), 401, E2E.notAuthenticated,
                        [("www-authenticate", "Bearer")])
        XCTAssertAnswer(try createKey(["-H", "X-API-Key: \(key)", "-b", "api_key=\(key)"], #"{"name":"x"}"#), 401, E2E.notAuthenticated)
        XCTAssertAnswer(try createKey(["-H", "Authorization: Bearer \(try e.token(scope: "me"))"], #"{"name":"x","scopes":["items"]}"#),
                        403, #"{"detail":"Requested scopes exceed your own: items"}"#)
        let viaBasic = try createKey(["-u", "johndoe:secret"], #"{"name":"basic","scopes":["me","items"]}"#, mount: "")
        XCTAssertEqual(viaBasic.status, 201, viaBasic.text)
        let basicKey = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(viaBasic.body)) as? [String: Any])?["key"] as? String)
        let (basicID, basicSecret) = try E2E.keyParts(basicKey)
        e.assertNoLeaks()
        e.secrets.append(basicSecret)
        XCTAssertAnswer(try e.get("/users/me/items/", ["X-API-Key: \(basicKey)"]), 200, #"[{"item_id":"Foo","owner":"johndoe"}]"#)

        XCTAssertAnswer(try e.curl(["-X", "DELETE", "-H", "Authorization: Bearer \(token)", e.url("/auth/users/me/api-keys/\(id)")]),
                        204, "")
        for (headers, extra, path) in [(["X-API-Key: \(key)"], [String](), "/auth/users/me/"), ([], [], "/users/me/?api_key=\(key)"),
                                       ([], ["-b", "api_key=\(key)"], "/auth/users/me/")] {
            XCTAssertAnswer(try e.get(path, headers, extra), 401, E2E.invalidAPIKey, [("www-authenticate", "APIKey")])
        }
        XCTAssertAnswer(try e.curl(["-X", "DELETE", "-u", "johndoe:secret", e.url("/auth/users/me/api-keys/ffffffffffffffff")]),
                        404, #"{"detail":"API key not found"}"#)
        // Someone else's key id is not found for root.
        XCTAssertAnswer(try e.curl(["-X", "DELETE", "-u", "root:rootpass", e.url("/auth/users/me/api-keys/\(basicID)")]),
                        404, #"{"detail":"API key not found"}"#)
        XCTAssertEqual(try e.get("/users/me/", ["X-API-Key: \(basicKey)"]).status, 200)
    }

    func testCLIAPIKeys() throws {
        let created = try e.cli(["apikey", "create", "johndoe", "--name", "cli", "--scopes", "me"])
        let key = created.text.trimmingCharacters(in: .newlines)
        XCTAssertEqual(created.text, key + "\n", "only the key on stdout")
        let (id, secret) = try E2E.keyParts(key)
        e.secrets.append(secret)
        XCTAssertTrue(created.stderr.contains("created key \(id) for 'johndoe'"), created.stderr)
        XCTAssertAnswer(try e.get("/auth/users/me/", ["X-API-Key: \(key)"]), 200, E2E.johnMe)

        let list = try e.cli(["apikey", "list", "johndoe"])
        XCTAssertTrue(list.text.contains(id), list.text)
        XCTAssertTrue(list.text.contains("cli"), list.text)
        XCTAssertFalse(list.text.contains(secret), "no secret in the listing")
        XCTAssertFalse(list.stderr.contains(secret))

        XCTAssertEqual(try e.cli(["apikey", "revoke", id]).text, "revoked key \(id)\n")
        XCTAssertAnswer(try e.get("/auth/users/me/", ["X-API-Key: \(key)"]), 401, E2E.invalidAPIKey, [("www-authenticate", "APIKey")])
        XCTAssertNotEqual(try e.h.gatehouse(["apikey", "create", "johndoe", "--name", "x", "--scopes", "users:read"]).status, 0,
                          "not beyond the owner's scopes")
    }

    func testAdminRoutes403Versus401() throws {
        let john = try e.token()
        let admin = try e.token("root", "rootpass", scope: "me users:read users:write")
        for mount in ["", "/auth"] {
            XCTAssertAnswer(try e.bearer(mount + "/users/", john), 403, E2E.notEnoughPermissions, [("www-authenticate", nil)])
            XCTAssertAnswer(try e.get(mount + "/users/", [], ["-u", "johndoe:secret"]), 403, E2E.notEnoughPermissions)
            XCTAssertAnswer(try e.get(mount + "/users/"), 401, E2E.notAuthenticated, [("www-authenticate", "Bearer")])
            XCTAssertAnswer(try e.bearer(mount + "/users/", "junk"), 401, E2E.couldNotValidate, [("www-authenticate", "Bearer")])
            let all = try e.bearer(mount + "/users/?limit=100", admin)
            XCTAssertEqual(all.status, 200, all.text)
            let users = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(all.body)) as? [[String: Any]])
            XCTAssertEqual(all.header("x-total-count"), String(users.count))
            XCTAssertTrue(Set(users.compactMap { $0["username"] as? String }).isSuperset(of: ["johndoe", "alice", "root"]))
            let page = try e.bearer(mount + "/users/?offset=1&limit=1", admin)
            XCTAssertEqual(page.header("x-total-count"), String(users.count))
            XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(page.body)) as? [Any])?.count, 1)
            XCTAssertEqual(try e.get(mount + "/users/", [], ["-u", "root:rootpass"]).status, 200)
        }

        let id = try e.addUser("carol", "carolpass", scopes: "me")
        let carol = try e.token("carol", "carolpass", scope: "me")
        let read = try e.bearer("/auth/users/\(id)", admin)
        XCTAssertEqual(read.status, 200)
        XCTAssertTrue(read.text.hasPrefix(#"{"id":\#(id),"username":"carol","email":null,"full_name":null,"disabled":false,"scopes":["me"],"roles":[],"created_at":""#),
                      read.text)
        XCTAssertAnswer(try e.bearer("/auth/users/\(id)", carol), 403, E2E.notEnoughPermissions)
        XCTAssertAnswer(try e.bearer("/auth/users/999999", admin), 404, #"{"detail":"User not found"}"#)

        let patch = ["-X", "PATCH", "-H", "Authorization: Bearer \(admin)", "-H", "Content-Type: application/json"]
        let patched = try e.curl(patch + ["-d", #"{"disabled":true}"#, e.url("/auth/users/\(id)")])
        XCTAssertEqual(patched.status, 200, patched.text)
        XCTAssertTrue(patched.text.contains(#""username":"carol","email":null,"full_name":null,"disabled":true,"scopes":["me"]"#), patched.text)
        XCTAssertAnswer(try e.bearer("/auth/users/me/", carol), 401, E2E.couldNotValidate)  // disabling ends tokens
        XCTAssertAnswer(try e.bearer("/auth/users/me/", try e.token("carol", "carolpass", scope: "me")), 400, E2E.inactiveUser)
        XCTAssertAnswer(try e.curl(patch + ["-d", #"{"password":"short"}"#, e.url("/auth/users/\(id)")]), 422,
                        #"{"detail":[{"type":"value_error","loc":["body","password"],"msg":"Value error, the password is too short: at least 6 characters are required","input":null}]}"#)
        // Roles are users:roles' business, which this administrator does not hold.
        XCTAssertAnswer(try e.curl(patch + ["-d", #"{"roles":["admin"]}"#, e.url("/auth/users/\(id)")]), 403, E2E.notEnoughPermissions)

        let delete = ["-X", "DELETE", "-H", "Authorization: Bearer \(admin)", e.url("/auth/users/\(id)")]
        XCTAssertAnswer(try e.curl(["-X", "DELETE", "-H", "Authorization: Bearer \(john)", e.url("/auth/users/\(id)")]), 403,
                        E2E.notEnoughPermissions)
        XCTAssertAnswer(try e.curl(delete), 204, "")
        XCTAssertAnswer(try e.curl(delete), 404, #"{"detail":"User not found"}"#)
        XCTAssertAnswer(try e.bearer("/auth/users/me/", carol), 401, E2E.couldNotValidate)
        XCTAssertAnswer(try e.login("carol", "carolpass", scope: "me"), 400, E2E.incorrectLogin)
    }
}
