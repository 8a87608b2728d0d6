import XCTest
@testable import Gatehouse

/// GET /metrics over App with its in-memory sink: the route label is the template, the
/// counters move with what happened, and only metrics_allow may read them.
final class MetricsTests: XCTestCase {
    func metrics(_ t: TestApp, from address: String = "127.0.0.1") -> (Response, String) {
        let r = t.request("GET", "/metrics", from: address)
        return (r, String(decoding: r.body, as: UTF8.self))
    }

    func testRequestsAreCountedByRouteTemplateAndStatus() throws {
        let t = try TestApp()
        _ = t.request("GET", "/health")
        _ = t.request("GET", "/health")
        _ = t.request("GET", "/users/17", headers: [("Authorization", TestApp.basic("johndoe", "secret"))])
        _ = t.request("GET", "/users/18", headers: [("Authorization", TestApp.basic("johndoe", "secret"))])
        _ = t.request("GET", "/no/such/path/4711")
        let (r, text) = metrics(t)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertTrue(text.contains(#"gatehouse_requests_total{method="GET",route="/health",status="200"} 2"#), text)
        XCTAssertTrue(text.contains(#"gatehouse_requests_total{method="GET",route="/users/{user_id:int}",status="403"} 2"#), text)
        XCTAssertTrue(text.contains(#"gatehouse_requests_total{method="",route="unmatched",status="404"} 1"#), text)
        XCTAssertFalse(text.contains("/users/17") || text.contains("4711"), "never the raw path")
        XCTAssertTrue(text.contains(#"gatehouse_request_duration_seconds_bucket{method="GET",route="/health",le="+Inf"} 2"#), text)
        XCTAssertTrue(text.contains(#"gatehouse_request_duration_seconds_count{method="GET",route="/health"} 2"#), text)
        XCTAssertTrue(text.contains(#"gatehouse_build_info{version="\#(Version.current)""#), text)
    }

    func testHistogramBucketsAreCumulativeAndFixed() throws {
        let sink = LocalMetrics()
        let route = sink.routeIndex("GET /x")
        sink.requestEnded(route: route, status: 200, nanoseconds: 300_000)  // 0.3 ms
        sink.requestEnded(route: route, status: 200, nanoseconds: 7_000_000)  // 7 ms
        sink.requestEnded(route: route, status: 599, nanoseconds: 9_000_000_000)  // 9 s, a status not listed
        let text = MetricsText.render(sink.read(), activeSessions: nil)
        let labels = #"method="GET",route="/x""#
        XCTAssertTrue(text.contains("gatehouse_request_duration_seconds_bucket{\(labels),le=\"0.0005\"} 1\n"), text)
        XCTAssertTrue(text.contains("gatehouse_request_duration_seconds_bucket{\(labels),le=\"0.005\"} 1\n"), text)
        XCTAssertTrue(text.contains("gatehouse_request_duration_seconds_bucket{\(labels),le=\"0.01\"} 2\n"), text)
        XCTAssertTrue(text.contains("gatehouse_request_duration_seconds_bucket{\(labels),le=\"5\"} 2\n"), text)
        XCTAssertTrue(text.contains("gatehouse_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} 3\n"), text)
        XCTAssertTrue(text.contains("gatehouse_request_duration_seconds_sum{\(labels)} 9.0073\n"), text)
        XCTAssertTrue(text.contains("gatehouse_requests_total{\(labels),status=\"other\"} 1\n"), text)
        let bounds = text.split(separator: "\n").filter { $0.hasPrefix("gatehouse_request_duration_seconds_bucket") }.count
        XCTAssertEqual(bounds, MetricsLayout.bounds.count + 1)
    }

    func testLoginsRefreshesAndAPIKeyUsesAreCounted() throws {
        let t = try TestApp(["throttle_user_max_failures": "2"])
        XCTAssertEqual(t.login().status, 200)
        XCTAssertEqual(t.login("johndoe", "wrong").status, 400)
        XCTAssertEqual(t.login("johndoe", "wrong").status, 400)
        XCTAssertEqual(t.login("johndoe", "wrong").status, 429)
        let (_, text) = metrics(t)
        XCTAssertTrue(text.contains("gatehouse_logins_total{outcome=\"ok\"} 1\n"), text)
        XCTAssertTrue(text.contains("gatehouse_logins_total{outcome=\"failed\"} 2\n"), text)
        XCTAssertTrue(text.contains("gatehouse_logins_total{outcome=\"throttled\"} 1\n"), text)
        XCTAssertTrue(text.contains("gatehouse_active_sessions 1\n"), text)

        let t2 = try TestApp()
        let login = t2.login(scope: "me offline_access")
        let refresh = try XCTUnwrap(JSON.parse(login.body)["refresh_token"]?.stringValue)
        let form = [("Content-Type", "application/x-www-form-urlencoded")]
        XCTAssertEqual(t2.request("POST", "/token", headers: form, body: "grant_type=refresh_token&refresh_token=\(refresh)").status, 200)
        t2.advance(60)
        XCTAssertEqual(t2.request("POST", "/token", headers: form, body: "grant_type=refresh_token&refresh_token=\(refresh)").status, 400)
        let created = t2.request("POST", "/users/me/api-keys", headers: [
            ("Authorization", TestApp.basic("johndoe", "secret")), ("Content-Type", "application/json"),
        ], body: #"{"name":"m","scopes":["me"]}"#)
        let key = try XCTUnwrap(JSON.parse(created.body)["key"]?.stringValue)
        XCTAssertEqual(t2.request("GET", "/users/me/", headers: [("X-API-Key", key)]).status, 200)
        let (_, text2) = metrics(t2)
        XCTAssertTrue(text2.contains("gatehouse_refreshes_total{outcome=\"ok\"} 1\n"), text2)
        XCTAssertTrue(text2.contains("gatehouse_refreshes_total{outcome=\"reuse_detected\"} 1\n"), text2)
        XCTAssertTrue(text2.contains("gatehouse_api_key_uses_total 1\n"), text2)
        XCTAssertTrue(text2.contains("gatehouse_active_sessions 0\n"), "reuse ended the session: \(text2)")
    }

    func testOnlyMetricsAllowMayReadThem() throws {
        let t = try TestApp()
        XCTAssertEqual(metrics(t, from: "127.0.0.1").0.status, 200)
        XCTAssertEqual(metrics(t, from: "::1").0.status, 200)
        XCTAssertEqual(metrics(t, from: "::ffff:127.0.0.1").0.status, 200)
        for outsider in ["10.0.0.1", "192.168.1.1", "2001:db8::1", "", "not-an-address"] {
            let (r, text) = metrics(t, from: outsider)
            XCTAssertEqual(r.status, 403, outsider)
            XCTAssertEqual(text, #"{"detail":"Metrics are not served to this address"}"#)
            XCTAssertEqual(r.headers["content-type"], "application/json")
        }
        let spoofed = t.request("GET", "/metrics", headers: [("X-Forwarded-For", "127.0.0.1")], from: "10.0.0.1")
        XCTAssertEqual(spoofed.status, 403, "X-Forwarded-For counts only from trusted_proxies")

        let lan = try TestApp(["metrics_allow": "10.0.0.0/8"])
        XCTAssertEqual(metrics(lan, from: "10.9.8.7").0.status, 200)
        XCTAssertEqual(metrics(lan, from: "127.0.0.1").0.status, 403)
        let nobody = try TestApp(["metrics_allow": ""])
        XCTAssertEqual(metrics(nobody, from: "127.0.0.1").0.status, 403)
        XCTAssertThrowsError(try TestApp(["metrics_allow": "127.0.0.1/33"]))
    }

    func testMetricsAreNotInTheOpenAPIDocument() throws {
        let t = try TestApp()
        let doc = try JSON.parse(t.request("GET", "/openapi.json").body)
        XCTAssertNil(doc["paths"]?["/metrics"])
        XCTAssertNotNil(doc["paths"]?["/health"])
    }

    func testLabelValuesAreEscaped() {
        XCTAssertEqual(MetricsText.escape("a\"b\\c\nd"), #"a\"b\\c\nd"#)
    }
}
