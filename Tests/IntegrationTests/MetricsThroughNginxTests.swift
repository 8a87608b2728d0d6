import Foundation
import XCTest

/// GET {prefix}/metrics through nginx from a master with several workers: the counts are the
/// sum of every worker's, survive a worker's death, pass promtool, and a real Prometheus scrapes them.
final class MetricsThroughNginxTests: XCTestCase {
    /// The value of the sample `series` (name and labels exactly as rendered), nil when absent.
    static func value(_ series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    static let health = #"gatehouse_requests_total{method="GET",route="/health",status="200"}"#

    /// Uncomments the shipped `location = /auth/metrics` block.
    static func withMetricsLocation(_ conf: String) -> String {
        var inBlock = false
        return conf.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line == "    # location = /auth/metrics {" { inBlock = true }
            guard inBlock else { return String(line) }
            if line == "    # }" { inBlock = false }
            return "    " + line.dropFirst(6)
        }.joined(separator: "\n")
    }

    func testCountsAreSummedOverEveryWorkerAndSurviveARestart() throws {
        let h = try Harness.start(config: ["workers": "3"], nginxSnippetEdit: MetricsThroughNginxTests.withMetricsLocation)
        defer { h.stop() }
        let shipped = try String(contentsOfFile: h.dir + "/gatehouse-prefix.conf", encoding: .utf8)
        XCTAssertTrue(shipped.contains("\n    location = /auth/metrics {\n        allow 127.0.0.1;"), "the snippet's block is live here")

        let before = try h.curl([h.url("/auth/metrics")])
        XCTAssertEqual(before.status, 200, before.text)
        XCTAssertEqual(before.header("content-type"), "text/plain; version=0.0.4; charset=utf-8")
        let start = MetricsThroughNginxTests.value(MetricsThroughNginxTests.health, in: before.text) ?? 0
        // Separate connections, so nginx's round of accepts spreads them over the workers.
        for _ in 0..<30 { XCTAssertEqual(try h.curl([h.url("/auth/health")]).status, 200) }
        XCTAssertEqual(try h.curl([h.url("/auth/users/me/")]).status, 401)
        let after = try h.curl([h.url("/auth/metrics")]).text
        XCTAssertEqual(MetricsThroughNginxTests.value(MetricsThroughNginxTests.health, in: after), start + 30, after)
        XCTAssertEqual(MetricsThroughNginxTests.value(
            #"gatehouse_requests_total{method="GET",route="/users/me/",status="401"}"#, in: after), 1, after)
        XCTAssertEqual(MetricsThroughNginxTests.value(#"gatehouse_workers{pool="main"}"#, in: after), 3, after)
        XCTAssertEqual(MetricsThroughNginxTests.value(#"gatehouse_workers{pool="login"}"#, in: after), 1, after)
        XCTAssertEqual(MetricsThroughNginxTests.value(#"gatehouse_worker_restarts_total{pool="main"}"#, in: after), 0, after)
        XCTAssertEqual(MetricsThroughNginxTests.value(#"gatehouse_hash_queue_length{pool="main"}"#, in: after), 0, after)

        let served = try XCTUnwrap(h.workerPIDs().first)
        kill(served, SIGKILL)
        var restarted: String = ""
        for _ in 0..<100 {
            restarted = try h.curl([h.url("/auth/metrics")]).text
            if MetricsThroughNginxTests.value(#"gatehouse_worker_restarts_total{pool="main"}"#, in: restarted) == 1,
               MetricsThroughNginxTests.value(#"gatehouse_workers{pool="main"}"#, in: restarted) == 3 { break }
            usleep(100_000)
        }
        XCTAssertEqual(MetricsThroughNginxTests.value(#"gatehouse_worker_restarts_total{pool="main"}"#, in: restarted), 1, restarted)
        XCTAssertEqual(MetricsThroughNginxTests.value(MetricsThroughNginxTests.health, in: restarted), start + 30,
                       "a dead worker's counts stay: \(restarted)")

        // A reload replaces every worker; the new ones add to the same series.
        let oldWorkers = h.workerPIDs()
        h.signalServer(SIGHUP)
        for _ in 0..<100 where !h.workerPIDs().isDisjoint(with: oldWorkers) || h.workerPIDs().count != 3 { usleep(100_000) }
        XCTAssertTrue(h.workerPIDs().isDisjoint(with: oldWorkers), "reloaded")
        XCTAssertEqual(try h.curl([h.url("/auth/health")]).status, 200)
        let reloaded = try h.curl([h.url("/auth/metrics")]).text
        XCTAssertEqual(MetricsThroughNginxTests.value(MetricsThroughNginxTests.health, in: reloaded), start + 31, reloaded)
        XCTAssertEqual(MetricsThroughNginxTests.value(#"gatehouse_worker_restarts_total{pool="main"}"#, in: reloaded), 1,
                       "a reload is no restart: \(reloaded)")
    }

    func testPromtoolFindsNothingWrong() throws {
        let h = try Harness.start(config: E2E.settings)
        defer { h.stop() }
        let password = Array("secret\n".utf8)
        XCTAssertEqual(try h.gatehouse(["user", "add", "johndoe", "--scopes", "me", "--password-stdin"], stdin: password).status, 0)
        _ = try h.curl(["-d", "username=johndoe&password=secret&scope=me", h.url("/auth/token")])
        _ = try h.curl(["-d", "username=johndoe&password=wrong", h.url("/auth/token")])
        _ = try h.curl([h.url("/auth/nothing/here")])
        let body = try h.curl([h.url("/auth/metrics")])
        XCTAssertEqual(body.status, 200)
        XCTAssertEqual(MetricsThroughNginxTests.value(#"gatehouse_logins_total{outcome="ok"}"#, in: body.text), 1, body.text)
        XCTAssertEqual(MetricsThroughNginxTests.value(#"gatehouse_logins_total{outcome="failed"}"#, in: body.text), 1, body.text)
        XCTAssertEqual(MetricsThroughNginxTests.value(#"gatehouse_active_sessions"#, in: body.text), 1, body.text)
        try Data(body.body).write(to: URL(fileURLWithPath: h.dir + "/metrics.txt"))
        let out = try Harness.run("/bin/sh", ["-c", "promtool check metrics < '\(h.dir)/metrics.txt' 2>&1"])
        XCTAssertEqual(out.status, 0, out.text)
        XCTAssertEqual(out.text, "", "promtool has nothing to say")
    }

    func testOthersThanMetricsAllowGet403ThroughNginx() throws {
        let h = try Harness.start(config: ["metrics_allow": "10.0.0.0/8"])
        defer { h.stop() }
        let r = try h.curl([h.url("/auth/metrics")])
        XCTAssertEqual(r.status, 403)
        XCTAssertEqual(r.text, #"{"detail":"Metrics are not served to this address"}"#)
        XCTAssertEqual(r.header("content-type"), "application/json")
    }

    func testARealPrometheusScrapesIt() throws {
        let h = try Harness.start()
        defer { h.stop() }
        let port = try Harness.freePort()
        try """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: gatehouse
                metrics_path: /auth/metrics
                static_configs:
                  - targets: ['127.0.0.1:\(h.port)']
            """.write(toFile: h.dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        let prometheus = Process()
        prometheus.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        prometheus.arguments = [
            "--config.file=\(h.dir)/prometheus.yml", "--storage.tsdb.path=\(h.dir)/prometheus-data",
            "--web.listen-address=127.0.0.1:\(port)",
        ]
        let log = FileHandle(forWritingAtPath: try Harness.createFile(h.dir + "/prometheus.log"))
        prometheus.standardOutput = log
        prometheus.standardError = log
        try prometheus.run()
        defer {
            kill(prometheus.processIdentifier, SIGTERM)
            if !Harness.wait(prometheus, timeout: 10) { kill(prometheus.processIdentifier, SIGKILL); _ = Harness.wait(prometheus, timeout: 5) }
        }
        func query(_ expression: String) throws -> JSONValue? {
            let out = try Harness.run("/usr/bin/curl", [
                "-sS", "--max-time", "5", "-G", "--data-urlencode", "query=\(expression)", "http://127.0.0.1:\(port)/api/v1/query",
            ])
            guard out.status == 0 else { return nil }
            return try? JSONSerialization.jsonObject(with: Data(out.stdout)) as? [String: Any]
        }
        /// The first result's value, as Prometheus writes it ("1").
        func firstValue(_ expression: String) throws -> String? {
            guard let answer = try query(expression), let data = answer["data"] as? [String: Any],
                  let results = data["result"] as? [[String: Any]], let first = results.first,
                  let value = first["value"] as? [Any], value.count == 2 else { return nil }
            return value[1] as? String
        }
        var up: String?
        var builds: String?
        var scrapes: String?
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            up = try firstValue(#"up{job="gatehouse"}"#)
            builds = try firstValue(#"gatehouse_build_info{job="gatehouse"}"#)
            // A scrape is counted once answered: the second scrape shows the first.
            scrapes = try firstValue(#"gatehouse_requests_total{job="gatehouse",route="/metrics",status="200"}"#)
            if up == "1", builds == "1", scrapes != nil { break }
            usleep(250_000)
        }
        let prometheusLog = (try? String(contentsOfFile: h.dir + "/prometheus.log", encoding: .utf8)) ?? ""
        XCTAssertEqual(up, "1", prometheusLog)
        XCTAssertEqual(builds, "1", prometheusLog)
        XCTAssertGreaterThanOrEqual(Double(scrapes ?? "0") ?? 0, 1, "its own scrapes are counted: \(prometheusLog)")
    }
}

typealias JSONValue = [String: Any]
