import XCTest
@testable import Gatehouse

final class SchemeParsingTests: XCTestCase {
    func req(_ headers: [(String, String)], query: String = "") -> Request {
        Request(method: "GET", path: "/", rawQuery: query, headers: Headers(headers))
    }

    func testAuthorizationSplit() {
        XCTAssertEqual(AuthorizationHeader.split(nil).scheme, "")
        XCTAssertTrue(AuthorizationHeader.split("Bearer  abc ") == ("Bearer", "abc"))
        XCTAssertTrue(AuthorizationHeader.split("Bearer") == ("Bearer", ""))
        XCTAssertTrue(AuthorizationHeader.split("Basic a b") == ("Basic", "a b"))
    }

    func testBearer() {
        let s = OAuth2PasswordBearer()
        XCTAssertEqual(s.credential(in: req([("Authorization", "BEARER tok")])), .bearerToken("tok"))
        XCTAssertNil(s.credential(in: req([("Authorization", "Basic tok")])))
        XCTAssertNil(s.credential(in: req([])))
        XCTAssertNil(s.credential(in: req([("Authorization", "")])))
        XCTAssertEqual(s.notAuthenticated.headers["www-authenticate"], "Bearer")
    }

    func testHTTPBearerIsOpaqueAndNeedsCredentials() {
        let s = HTTPBearer()
        XCTAssertEqual(s.credential(in: req([("Authorization", "bearer xyz")])), .authorization(scheme: "bearer", credentials: "xyz"))
        XCTAssertNil(s.credential(in: req([("Authorization", "Bearer ")])))
        XCTAssertNil(s.credential(in: req([("Authorization", "Digest xyz")])))
        XCTAssertEqual(s.notAuthenticated.response.body, Array(#"{"detail":"Not authenticated"}"#.utf8))
    }

    func testBasic() {
        let s = HTTPBasic()
        func basic(_ raw: String) -> Credential? { s.credential(in: req([("Authorization", raw)])) }
        XCTAssertEqual(basic("Basic " + Base64.encode(Array("john:pa:ss".utf8))), .basic(username: "john", password: "pa:ss"))
        XCTAssertEqual(basic("bAsIc " + Base64.encode(Array(":".utf8))), .basic(username: "", password: ""))
        XCTAssertEqual(basic("Basic am9objpwYXNz"), .basic(username: "john", password: "pass"))
        XCTAssertEqual(basic("Basic am9objpwYXN"), .malformed, "padding missing")
        XCTAssertEqual(basic("Basic " + Base64.encode(Array("jöhn:x".utf8))), .malformed, "not ASCII")
        XCTAssertEqual(basic("Basic " + Base64.encode(Array("nocolon".utf8))), .malformed)
        XCTAssertEqual(basic("Basic"), .malformed)
        XCTAssertEqual(basic("Basic !!!!"), .malformed)
        XCTAssertNil(basic("Bearer x"))
        XCTAssertEqual(s.notAuthenticated.headers["www-authenticate"], "Basic")
        XCTAssertEqual(HTTPBasic(realm: "a \"b\"").notAuthenticated.headers["www-authenticate"], #"Basic realm="a \"b\"""#)
        XCTAssertEqual(s.incorrectCredentials.response.body, Array(#"{"detail":"Incorrect username or password"}"#.utf8))
    }

    func testAPIKeyLocations() {
        XCTAssertEqual(APIKeyScheme(.header, name: "X-API-Key").credential(in: req([("x-api-key", "k")])), .apiKey("k"))
        XCTAssertNil(APIKeyScheme(.header, name: "X-API-Key").credential(in: req([("x-api-key", "")])))
        XCTAssertEqual(APIKeyScheme(.query, name: "api_key").credential(in: req([], query: "api_key=a&api_key=b")), .apiKey("b"))
        XCTAssertEqual(APIKeyScheme(.cookie, name: "api_key").credential(in: req([("Cookie", "x=1; api_key=c")])), .apiKey("c"))
        XCTAssertEqual(APIKeyScheme(.cookie, name: "api_key").notAuthenticated.headers["www-authenticate"], "APIKey")
    }

    func testAPIKeyFormat() {
        let (id, secret, key) = APIKeys.generate()
        XCTAssertEqual(APIKeys.parse(key), APIKeys.Parsed(id: id, secret: secret))
        XCTAssertTrue(key.hasPrefix("gh_"))
        XCTAssertNil(APIKeys.parse(key + "x"))
        XCTAssertNil(APIKeys.parse("gh_" + String(repeating: "G", count: 16) + "_" + secret))
        XCTAssertNil(APIKeys.parse(""))
        XCTAssertNotEqual(APIKeys.generate().key, key)
    }
}
