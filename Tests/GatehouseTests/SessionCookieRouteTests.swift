import XCTest
@testable import Gatehouse

/// The "me" routes with the sign-in page's session cookie: what the demo site's page uses,
/// with no token in JavaScript. A state-changing request with the cookie must come from
/// this site; a request that also carries a token, a key or a password is that credential's.
final class SessionCookieRouteTests: XCTestCase {
    var t: TestApp!
    var jar = ""
    override func setUpWithError() throws {
        t = try TestApp()
        let r = t.request("POST", "/login", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                          body: "username=johndoe&password=secret", prefix: "/auth")
        jar = String(try XCTUnwrap(r.headers["set-cookie"]).prefix { $0 != ";" })
    }

    let crossSite = #"{"detail":"Cross-site request refused"}"#
    var sameSite: [(String, String)] { [("Cookie", jar), ("Host", "localhost"), ("Origin", "http://localhost")] }
    var foreign: [(String, String)] { [("Cookie", jar), ("Host", "localhost"), ("Origin", "https://evil.example")] }
    let json = [("Content-Type", "application/json")]

    func createKey(_ headers: [(String, String)]) -> Response {
        t.request("POST", "/users/me/api-keys", headers: headers + json, body: #"{"name":"page","scopes":["me"]}"#)
    }

    func liveKeys() throws -> [JSON] {
        try JSON.parse(t.request("GET", "/users/me/api-keys", headers: [("Cookie", jar)]).body).arrayValue?
            .filter { $0["revoked_at"] == .null } ?? []
    }

    func sessionIDs() throws -> [String] {
        try JSON.parse(t.request("GET", "/users/me/sessions", headers: [("Cookie", jar)]).body).arrayValue?
            .compactMap { $0["id"]?.stringValue } ?? []
    }

    func testTheCookieReadsTheAccountNeverCached() {
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Cookie", jar)]), 200,
                          #"{"username":"johndoe","email":"johndoe@example.com","full_name":"John Doe","disabled":false}"#,
                          headers: [("cache-control", "no-store")])
    }

    /// A proof is remembered per session once a cookie showed it: a cookie with the session's id
    /// and any other proof is still refused, before and after, and a session that ended is refused
    /// with its right proof.
    func testACookieWithAnotherProofIsRefusedAfterTheRightOneWasSeen() throws {
        let (id, proof) = try XCTUnwrap(jar.split(separator: "=", maxSplits: 1).last.map { value -> (String, String) in
            let parts = value.split(separator: ".", maxSplits: 1)
            return (String(parts[0]), String(parts[1]))
        })
        let name = String(jar.prefix { $0 != "=" })
        var forged = Array(proof.utf8)
        forged[0] = forged[0] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let forgedJar = "\(name)=\(id).\(String(decoding: forged, as: UTF8.self))"
        let unauthorized = #"{"detail":"Not authenticated"}"#
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Cookie", forgedJar)]), 401, unauthorized)
        XCTAssertEqual(t.request("GET", "/users/me/", headers: [("Cookie", jar)]).status, 200)
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Cookie", forgedJar)]), 401, unauthorized)
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Cookie", "\(name)=\(id).")]), 401, unauthorized)
        XCTAssertTrue(try t.app.store.endSession(id: id, reason: .logout, now: t.now))
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Cookie", jar)]), 401, unauthorized)
    }

    func testTheCookieListsItsSessionAsTheCurrentOne() throws {
        _ = try t.token()
        let sessions = try JSON.parse(t.request("GET", "/users/me/sessions", headers: [("Cookie", jar)]).body).arrayValue ?? []
        XCTAssertEqual(sessions.count, 2)
        XCTAssertEqual(sessions.filter { $0["current"] == .bool(true) }.count, 1)
        let check = t.request("GET", "/check", headers: [("Cookie", jar)])
        XCTAssertEqual(sessions.first { $0["current"] == .bool(true) }?["id"]?.stringValue, check.headers["x-gatehouse-session"])
    }

    func testTheCookieManagesKeysAndSessionsFromThisSite() throws {
        let created = createKey(sameSite)
        XCTAssertEqual(created.status, 201, String(decoding: created.body, as: UTF8.self))
        XCTAssertEqual(created.headers["cache-control"], "no-store")
        let id = try XCTUnwrap(JSON.parse(created.body)["id"]?.stringValue)
        XCTAssertEqual(try liveKeys().count, 1)
        XCTAssertResponse(t.request("DELETE", "/users/me/api-keys/\(id)", headers: sameSite), 204, "")
        XCTAssertEqual(try liveKeys().count, 0)

        _ = try t.token()
        _ = try t.token()
        let current = try currentSession()
        let other = try XCTUnwrap(try sessionIDs().first { $0 != current })
        XCTAssertResponse(t.request("DELETE", "/users/me/sessions/\(other)", headers: sameSite), 204, "")
        XCTAssertEqual(try sessionIDs().count, 2)
        XCTAssertResponse(t.request("DELETE", "/users/me/sessions", headers: [("Cookie", jar), ("Sec-Fetch-Site", "same-origin")]),
                          204, "")
        XCTAssertEqual(try sessionIDs(), [try currentSession()], "everywhere else: the cookie's own session stays")
    }

    func currentSession() throws -> String {
        try XCTUnwrap(t.request("GET", "/check", headers: [("Cookie", jar)]).headers["x-gatehouse-session"])
    }

    func testCreatingAKeyWithTheCookieFromAnotherSiteIsRefused() throws {
        XCTAssertResponse(createKey(foreign), 403, crossSite)
        XCTAssertEqual(try liveKeys().count, 0)
    }

    func testRevokingAKeyWithTheCookieFromAnotherSiteIsRefused() throws {
        let id = try XCTUnwrap(JSON.parse(createKey(sameSite).body)["id"]?.stringValue)
        XCTAssertResponse(t.request("DELETE", "/users/me/api-keys/\(id)", headers: foreign), 403, crossSite)
        XCTAssertEqual(try liveKeys().count, 1)
    }

    func testEndingSessionsWithTheCookieFromAnotherSiteIsRefused() throws {
        _ = try t.token()
        let current = try currentSession()
        let other = try XCTUnwrap(try sessionIDs().first { $0 != current })
        XCTAssertResponse(t.request("DELETE", "/users/me/sessions/\(other)", headers: foreign), 403, crossSite)
        XCTAssertResponse(t.request("DELETE", "/users/me/sessions", headers: foreign), 403, crossSite)
        XCTAssertEqual(try sessionIDs().count, 2)
    }

    func testACookieRequestThatSaysNothingOfWhereItComesFromIsRefused() throws {
        XCTAssertResponse(createKey([("Cookie", jar)]), 403, crossSite)
        XCTAssertResponse(createKey([("Cookie", jar), ("Sec-Fetch-Site", "cross-site")]), 403, crossSite)
    }

    func testTheBearerDecidesWhenACookieComesToo() throws {
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Cookie", jar), ("Authorization", "Bearer nonsense")]), 401,
                          #"{"detail":"Could not validate credentials"}"#, headers: [("www-authenticate", #"Bearer scope="me""#)])
        let alice = try t.token("alice", "secretalice")
        XCTAssertResponse(t.request("GET", "/users/me/", headers: [("Cookie", jar), ("Authorization", "Bearer \(alice)")]), 400,
                          #"{"detail":"Inactive user"}"#)
        let john = try t.token(scope: "me")
        XCTAssertEqual(createKey(foreign + [("Authorization", "Bearer \(john)")]).status, 201,
                       "a token is no cookie: a page elsewhere cannot send it, so its Origin does not matter")
    }

    func testBasicAndKeysAreUnaffectedByTheCookieRule() throws {
        let basic = "Basic " + Base64.encode(Array("johndoe:secret".utf8))
        XCTAssertEqual(createKey([("Host", "localhost"), ("Origin", "https://evil.example"), ("Authorization", basic)]).status, 201)
        let key = try XCTUnwrap(JSON.parse(createKey(sameSite).body)["key"]?.stringValue)
        XCTAssertResponse(t.request("GET", "/users/me/", headers: foreign + [("X-API-Key", key)]), 200,
                          #"{"username":"johndoe","email":"johndoe@example.com","full_name":"John Doe","disabled":false}"#)
        XCTAssertResponse(createKey([("X-API-Key", key)]), 401, #"{"detail":"Not authenticated"}"#,
                          headers: [("www-authenticate", "Bearer")])
    }

    func testWithoutAnyCredentialTheAnswerStaysTutorial005s() {
        XCTAssertResponse(t.request("GET", "/users/me/sessions"), 401, #"{"detail":"Not authenticated"}"#,
                          headers: [("www-authenticate", "Bearer")])
    }
}
