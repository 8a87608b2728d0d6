import Foundation
import XCTest

/// tutorial005 end to end through nginx and curl, at `/` and under `/auth`, with users
/// managed by the `gatehouse` command while the server runs.
final class LoginFlowTests: E2ETestCase {
    static let mounts = ["", "/auth"]

    func testUrlencodedLoginThenUsersMe() throws {
        for mount in Self.mounts {
            let r = try e.login(mount: mount)
            XCTAssertEqual(r.status, 200, mount)
            XCTAssertEqual(r.header("content-type"), "application/json")
            XCTAssertEqual(r.header("cache-control"), "no-store")
            XCTAssertEqual(r.header("pragma"), "no-cache")
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
            XCTAssertEqual(Set(json.keys), ["access_token", "token_type"])
            XCTAssertEqual(json["token_type"] as? String, "bearer")
            XCTAssertTrue(r.text.hasPrefix(#"{"access_token":""#), "FastAPI's key order: \(r.text)")
            let token = try XCTUnwrap(json["access_token"] as? String)

            let me = try e.bearer(mount + "/users/me/", token)
            XCTAssertAnswer(me, 200, E2E.johnMe, [("content-type", "application/json"), ("www-authenticate", nil)])
            // A token issued under one mount works under the other: same server, same key.
            let other = mount.isEmpty ? "/auth" : ""
            XCTAssertAnswer(try e.bearer(other + "/users/me/", token), 200, E2E.johnMe)
            // The slash-less path redirects under the mount it was asked on.
            let redirect = try e.bearer(mount + "/users/me", token)
            XCTAssertAnswer(redirect, 307, "", [("location", "http://127.0.0.1:\(e.h.port)\(mount)/users/me/")])
        }
    }

    func testMultipartLogin() throws {
        for mount in Self.mounts {
            let r = try e.curl(["-F", "grant_type=password", "-F", "username=johndoe", "-F", "password=secret",
                                "-F", "scope=me items", e.url(mount + "/token")])
            XCTAssertEqual(r.status, 200, r.text)
            XCTAssertEqual(r.header("cache-control"), "no-store")
            let token = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])?["access_token"] as? String)
            XCTAssertEqual(try E2E.claims(token)["scope"] as? String, "me items")
            XCTAssertAnswer(try e.bearer(mount + "/users/me/", token), 200, E2E.johnMe)
            let wrong = try e.curl(["-F", "username=johndoe", "-F", "password=nope", e.url(mount + "/token")])
            XCTAssertAnswer(wrong, 400, E2E.incorrectLogin)
        }
    }

    func testValidationErrorsAre422WithPydanticBodies() throws {
        let missingBoth = #"{"detail":[{"type":"missing","loc":["body","username"],"msg":"Field required","input":null},{"type":"missing","loc":["body","password"],"msg":"Field required","input":null}]}"#
        for mount in Self.mounts {
            let token = e.url(mount + "/token")
            XCTAssertAnswer(try e.curl(["-d", "username=&scope=me", token]), 422, missingBoth, [("content-type", "application/json")])
            XCTAssertAnswer(try e.curl(["-d", "username=johndoe", token]), 422,
                            #"{"detail":[{"type":"missing","loc":["body","password"],"msg":"Field required","input":null}]}"#)
            // JSON is not the form FastAPI's OAuth2PasswordRequestForm reads.
            XCTAssertAnswer(try e.curl(["-H", "Content-Type: application/json", "-d", #"{"username":"johndoe","password":"secret"}"#, token]),
                            422, missingBoth)
            XCTAssertAnswer(try e.curl(["-X", "POST", token]), 422, missingBoth)
            XCTAssertAnswer(try e.curl(["-d", "grant_type=client_credentials&password=x", token]), 422,
                            #"{"detail":[{"type":"string_pattern_mismatch","loc":["body","grant_type"],"msg":"String should match pattern '^password$'","input":"client_credentials","ctx":{"pattern":"^password$"}},{"type":"missing","loc":["body","username"],"msg":"Field required","input":null}]}"#)
            XCTAssertEqual(try e.curl(["-d", "grant_type=password&username=johndoe&password=secret&scope=me", token]).status, 200)
            XCTAssertAnswer(try e.get(mount + "/token"), 405, #"{"detail":"Method Not Allowed"}"#, [("allow", "POST")])
        }
    }

    func testWrongPasswordAndUnknownUserAreTheSame400() throws {
        for mount in Self.mounts {
            for (user, password) in [("johndoe", "wrong"), ("nobody", "secret"), ("JohnDoe", "wrong"), ("john'--", "secret"), ("johndoe", "")] {
                let r = try e.login(user, password, mount: mount)
                if password.isEmpty {  // FastAPI reads an empty form field as a missing one
                    XCTAssertAnswer(r, 422, #"{"detail":[{"type":"missing","loc":["body","password"],"msg":"Field required","input":null}]}"#)
                } else {
                    XCTAssertAnswer(r, 400, E2E.incorrectLogin, [("www-authenticate", nil), ("cache-control", nil)])
                }
            }
        }
    }

    func testMissingAndInvalidCredentials() throws {
        let token = try e.token()
        for mount in Self.mounts {
            let me = mount + "/users/me/"
            for headers in [[], ["Authorization: Token x"], ["Authorization: Basicx"], ["Authorization:"]] {
                XCTAssertAnswer(try e.get(me, headers), 401, E2E.notAuthenticated, [("www-authenticate", "Bearer")])
            }
            let parts = token.split(separator: ".").map(String.init)
            let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
            for bad in ["garbage", token + "x", none, parts[0] + "." + parts[1] + ".", "Bearer"] {
                XCTAssertAnswer(try e.bearer(me, bad), 401, E2E.couldNotValidate, [("www-authenticate", #"Bearer scope="me""#)])
            }
            XCTAssertAnswer(try e.get(me, ["Authorization: Bearer"]), 401, E2E.couldNotValidate,
                            [("www-authenticate", #"Bearer scope="me""#)])
            XCTAssertAnswer(try e.get(me, ["Authorization: bearer   \(token)"]), 200, E2E.johnMe)
        }
    }

    func testScopesInactiveUserItemsAndStatus() throws {
        let onlyItems = try e.token(scope: "items")
        let onlyMe = try e.token(scope: "me")
        let both = try e.token()
        let nothing = try e.token(scope: "")
        let alice = try e.token("alice", "secretalice")
        for mount in Self.mounts {
            XCTAssertAnswer(try e.bearer(mount + "/users/me/", onlyItems), 401, E2E.notEnoughPermissions,
                            [("www-authenticate", #"Bearer scope="me""#)])
            XCTAssertAnswer(try e.bearer(mount + "/users/me/items/", onlyMe), 401, E2E.notEnoughPermissions,
                            [("www-authenticate", #"Bearer scope="items me""#)])
            XCTAssertAnswer(try e.get(mount + "/users/me/items/"), 401, E2E.notAuthenticated, [("www-authenticate", "Bearer")])
            XCTAssertAnswer(try e.bearer(mount + "/users/me/items/", "x"), 401, E2E.couldNotValidate,
                            [("www-authenticate", #"Bearer scope="items me""#)])
            XCTAssertAnswer(try e.bearer(mount + "/users/me/items/", both), 200, #"[{"item_id":"Foo","owner":"johndoe"}]"#)

            // alice may log in (tutorial005 checks `disabled` per route), but not use her account.
            XCTAssertAnswer(try e.bearer(mount + "/users/me/", alice), 400, E2E.inactiveUser, [("www-authenticate", nil)])
            XCTAssertAnswer(try e.bearer(mount + "/users/me/items/", alice), 400, E2E.inactiveUser)

            // /status/ needs any valid credential, no scope, no active user.
            for token in [both, nothing, alice] {
                XCTAssertAnswer(try e.bearer(mount + "/status/", token), 200, #"{"status":"ok"}"#)
            }
            XCTAssertAnswer(try e.get(mount + "/status/"), 401, E2E.notAuthenticated, [("www-authenticate", "Bearer")])
            XCTAssertAnswer(try e.bearer(mount + "/status/", "x"), 401, E2E.couldNotValidate, [("www-authenticate", "Bearer")])
            XCTAssertAnswer(try e.get(mount + "/status/", [], ["-u", "johndoe:secret"]), 200, #"{"status":"ok"}"#)
        }
    }

    func testGrantedScopesAreLimitedToTheUsersOwn() throws {
        let before = Int(Date().timeIntervalSince1970)
        let token = try e.token(scope: "items  admin\tme items users:write")
        let claims = try E2E.claims(token)
        XCTAssertEqual(Set(claims.keys), ["sub", "scope", "exp", "iat", "uid", "cv", "sid", "jti"])
        XCTAssertEqual(claims["sub"] as? String, "johndoe")
        XCTAssertEqual(claims["scope"] as? String, "items me")
        let exp = try XCTUnwrap(claims["exp"] as? Int)
        XCTAssertTrue((before + 1800 - 2...before + 1800 + 10).contains(exp), "exp \(exp), 30 minutes after \(before)")
        let header = try XCTUnwrap(E2E.base64URL(token.split(separator: ".")[0]))
        XCTAssertEqual(String(decoding: header, as: UTF8.self), #"{"alg":"HS256","typ":"JWT"}"#)

        XCTAssertEqual(try E2E.claims(try e.token("root", "rootpass", scope: "me items"))["scope"] as? String, "me")
        XCTAssertEqual(try E2E.claims(try e.token(scope: "admin"))["scope"] as? String, "")
    }

    func testCLIUserManagementWhileServing() throws {
        let id = try e.addUser("bob", "bobpass1", scopes: "me,items")
        XCTAssertGreaterThan(id, 0)
        let first = try e.token("bob", "bobpass1")
        let bobMe = #"{"username":"bob","email":null,"full_name":null,"disabled":false}"#
        XCTAssertAnswer(try e.bearer("/auth/users/me/", first), 200, bobMe)

        XCTAssertEqual(try e.cli(["user", "set-password", "bob", "--password-stdin"], stdin: "bobpass22\n").text,
                       "password of 'bob' changed\n")
        XCTAssertAnswer(try e.login("bob", "bobpass1"), 400, E2E.incorrectLogin)
        XCTAssertAnswer(try e.get("/auth/users/me/", [], ["-u", "bob:bobpass1"]), 401, E2E.incorrectLogin, [("www-authenticate", "Basic")])
        let second = try e.token("bob", "bobpass22")
        XCTAssertAnswer(try e.get("/auth/users/me/", [], ["-u", "bob:bobpass22"]), 200, bobMe)

        XCTAssertEqual(try e.cli(["user", "disable", "bob"]).text, "user 'bob' disabled\n")
        XCTAssertAnswer(try e.bearer("/auth/users/me/", second), 401, E2E.couldNotValidate)  // disabling ends tokens
        XCTAssertAnswer(try e.get("/users/me/", [], ["-u", "bob:bobpass22"]), 400, E2E.inactiveUser)
        let whileDisabled = try e.token("bob", "bobpass22")
        XCTAssertAnswer(try e.bearer("/auth/users/me/", whileDisabled), 400, E2E.inactiveUser)
        XCTAssertAnswer(try e.bearer("/auth/status/", whileDisabled), 200, #"{"status":"ok"}"#)

        XCTAssertEqual(try e.cli(["user", "enable", "bob"]).text, "user 'bob' enabled\n")
        XCTAssertAnswer(try e.bearer("/auth/users/me/", second), 401, E2E.couldNotValidate)  // and enabling revives none
        let third = try e.token("bob", "bobpass22")
        XCTAssertAnswer(try e.bearer("/auth/users/me/", third), 200, bobMe)

        XCTAssertEqual(try e.cli(["user", "revoke", "bob", "items"]).text, "scopes of 'bob': me\n")
        XCTAssertEqual(try E2E.claims(try e.token("bob", "bobpass22"))["scope"] as? String, "me")
        // A token issued before the revocation ends at once.
        XCTAssertAnswer(try e.bearer("/auth/users/me/items/", third), 401, E2E.couldNotValidate,
                        [("www-authenticate", #"Bearer scope="items me""#)])
        XCTAssertEqual(try e.cli(["user", "grant", "bob", "items"]).text, "scopes of 'bob': me items\n")
        let regranted = try e.token("bob", "bobpass22", scope: "items me")
        XCTAssertEqual(try E2E.claims(regranted)["scope"] as? String, "items me")
        XCTAssertAnswer(try e.bearer("/users/me/items/", regranted), 200, #"[{"item_id":"Foo","owner":"bob"}]"#)

        XCTAssertEqual(try e.cli(["user", "delete", "bob"]).text, "deleted user 'bob'\n")
        XCTAssertAnswer(try e.login("bob", "bobpass22"), 400, E2E.incorrectLogin)
        XCTAssertAnswer(try e.bearer("/auth/users/me/", regranted), 401, E2E.couldNotValidate, [("www-authenticate", #"Bearer scope="me""#)])
        XCTAssertAnswer(try e.get("/auth/users/me/", [], ["-u", "bob:bobpass22"]), 401, E2E.incorrectLogin)
        e.secrets += ["bobpass1", "bobpass22"]
    }

    func testOpenAPIUnderThePrefix() throws {
        let r = try e.get("/auth/openapi.json")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.header("content-type"), "application/json")
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
        XCTAssertEqual(doc["servers"] as? [[String: String]], [["url": "/auth"]])
        let paths = try XCTUnwrap(doc["paths"] as? [String: Any])
        for path in ["/token", "/users/me/", "/users/me/items/", "/status/"] {
            XCTAssertNotNil(paths[path], path)
        }
        let root = try e.get("/openapi.json")
        XCTAssertEqual(root.status, 200)
        let rootDoc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(root.body)) as? [String: Any])
        XCTAssertNil(rootDoc["servers"], "at / there is no root_path")
        XCTAssertEqual((rootDoc["paths"] as? [String: Any])?.keys.sorted(), paths.keys.sorted())
    }
}
