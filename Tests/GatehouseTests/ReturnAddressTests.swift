import XCTest
@testable import Gatehouse

/// The sign-in page's `rd`: the known open-redirect tricks all land on `/`.
final class ReturnAddressTests: XCTestCase {
    func check(_ rd: String, _ expected: String, hosts: [String] = ["app.example.org"], line: UInt = #line) {
        XCTAssertEqual(ReturnAddress.validated(rd, allowedHosts: hosts), expected, rd, line: line)
    }

    func testPathsOfThisSiteAndAllowedHosts() {
        check("/private/report.txt?x=1&y=2#top", "/private/report.txt?x=1&y=2#top")
        check("/", "/")
        check("https://app.example.org/dashboard", "https://app.example.org/dashboard")
        check("https://APP.example.org:8443/x", "https://APP.example.org:8443/x")
    }

    func testOpenRedirectTricks() {
        for trick in ["//evil.example", "/\\evil.example", "\\/evil.example", "https:evil.example", "https:/evil.example",
                      "%2F%2Fevil.example", "/%2F/evil.example", "/%09/evil.example", "/%5Cevil.example",
                      "https://app.example.org@evil.example/", "https://evil.example/", "https://app.example.org.evil.example/",
                      "javascript:alert(1)", "/x\r\nLocation: //evil", "/x\ty", " /x", "//", "", "data:text/html,x",
                      "/" + String(repeating: "a", count: 3000), "ftp://app.example.org/", "/\u{2028}x", "/é"] {
            check(trick, "/")
        }
    }
}
