import XCTest
@testable import Gatehouse

/// `GET {prefix}/docs`: Swagger UI's page, its files from this site, its one inline script
/// the only one the policy lets run.
final class DocsPageTests: XCTestCase {
    var t: TestApp!
    override func setUpWithError() throws { t = try TestApp() }

    func page(prefix: String = "/auth") -> (Response, String) {
        let r = t.request("GET", "/docs", prefix: prefix)
        return (r, String(decoding: r.body, as: UTF8.self))
    }

    func testThePageLoadsSwaggerUIFromThisSiteOverTheSchema() {
        let (r, html) = page()
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["content-type"], "text/html; charset=utf-8")
        XCTAssertTrue(html.contains(#"<link rel="stylesheet" href="/auth/docs/swagger-ui.css">"#), html)
        XCTAssertTrue(html.contains(#"<script src="/auth/docs/swagger-ui-bundle.js"></script>"#))
        XCTAssertTrue(html.contains(#"data-openapi="/auth/openapi.json" data-assets="/auth/docs/""#))
        XCTAssertFalse(html.contains("http://") || html.contains("https://") || html.contains("//cdn"), "nothing from elsewhere")
        XCTAssertTrue(page(prefix: "").1.contains(#"data-openapi="/openapi.json""#), "without a prefix")
    }

    func testWithoutSwaggerUIsFilesThePageSaysWhereTheSchemaIs() {
        let html = page().1
        XCTAssertTrue(html.contains(#"<p id="docs-missing" hidden>Swagger UI's files were not found at <code>/auth/docs/</code>"#), html)
        XCTAssertTrue(html.contains(#"<a href="/auth/openapi.json">/auth/openapi.json</a>.</p>"#), html)
        XCTAssertTrue(DocsPage.script.contains("document.getElementById('docs-missing').hidden = false"),
                      "the page shows it when the bundle did not load")
    }

    func testOnlyThePagesOwnInlineScriptMayRun() throws {
        let (r, html) = page()
        let policy = try XCTUnwrap(r.headers["content-security-policy"])
        let inline = try XCTUnwrap(html.range(of: "<script>").flatMap { open in
            html.range(of: "</script>", range: open.upperBound..<html.endIndex).map { html[open.upperBound..<$0.lowerBound] }
        })
        let hash = Base64.encode(LibCrypto.digest(.sha256, Array(inline.utf8)))
        XCTAssertTrue(policy.hasPrefix("default-src 'none'; script-src 'self' 'sha256-\(hash)'; "), policy)
        XCTAssertTrue(policy.contains("frame-ancestors 'none'"))
        XCTAssertEqual(r.headers["x-frame-options"], "DENY")
        XCTAssertFalse(inline.contains("<"), "the settings come from data attributes, escaped as HTML")
    }

    func testAHostilePrefixIsEscaped() {
        let html = page(prefix: "/a\"><script>x</script>").1
        XCTAssertFalse(html.contains("<script>x</script>"))
        XCTAssertTrue(html.contains("/a&quot;&gt;&lt;script&gt;"))
    }

    func testTheDocumentsAreNotPartOfTheSchema() throws {
        let paths = try JSON.parse(t.request("GET", "/openapi.json").body)["paths"]
        XCTAssertNil(paths?["/docs"])
        XCTAssertNil(paths?["/openapi.json"])
        XCTAssertNotNil(paths?["/users/me/"])
    }

    func testOtherMethodsAreNotAllowed() {
        XCTAssertResponse(t.request("POST", "/docs"), 405, #"{"detail":"Method Not Allowed"}"#)
    }
}
