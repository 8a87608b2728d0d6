import Glibc
import XCTest
@testable import Gatehouse
@testable import GatehouseServer

/// The master's metrics memory: blocks written by forked workers are summed by any of them,
/// a dead worker's counts stay, and route labels keep their index across registrations.
final class SharedMetricsTests: XCTestCase {
    func testForkedWorkersCountIntoTheirOwnBlocksAndAnyOneSumsThem() throws {
        let shared = try SharedMetrics(slots: 4)
        var labels = MetricsLabels()
        labels.register(["GET /health", "GET /users/me/"])
        for slot in 0..<2 { shared.assign(slot, pool: 0) }
        var children: [pid_t] = []
        for slot in 0..<2 {
            let pid = fork()
            if pid == 0 {
                let sink = shared.sink(slot: slot, labels: labels.labels, pools: ["main"], commit: "c", hashSlots: nil)
                let health = sink.routeIndex("GET /health")
                for _ in 0..<(slot + 1) * 100 { sink.requestEnded(route: health, status: 200, nanoseconds: 1_000_000) }
                sink.count(.loginSucceeded)
                _exit(0)
            }
            children.append(pid)
        }
        for pid in children {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            XCTAssertEqual(status, 0)
        }
        shared.release(1)
        shared.countRestart(pool: 0)
        let reading = shared.sink(slot: 0, labels: labels.labels, pools: ["main"], commit: "c", hashSlots: nil).read()
        let health = try XCTUnwrap(reading.routes.firstIndex(of: "GET /health"))
        let ok = try XCTUnwrap(MetricsLayout.statuses.firstIndex(of: 200))
        XCTAssertEqual(reading.requests[health][ok], 300, "both workers, the released one included")
        XCTAssertEqual(reading.buckets[health].reduce(0, +), 300)
        XCTAssertEqual(reading.sums[health], 300_000_000)
        XCTAssertEqual(reading.events[MetricEvent.loginSucceeded.rawValue], 2)
        XCTAssertEqual(reading.workers[0], 1, "slot 1 was released")
        XCTAssertEqual(reading.restarts[0], 1)
        XCTAssertEqual(reading.commit, "c")
    }

    func testLabelsAreAppendOnlyAndBounded() {
        var labels = MetricsLabels()
        labels.register(["GET /a", "GET /b"])
        labels.register(["GET /b", "GET /c", "GET /a"])
        XCTAssertEqual(labels.labels, [MetricsLayout.unmatchedLabel, "GET /a", "GET /b", "GET /c"])
        labels.register((0..<200).map { "GET /r\($0)" })
        XCTAssertEqual(labels.labels.count, MetricsLayout.maxRoutes)
    }

    func testAnUnknownLabelOrRouteIndexCountsAsUnmatched() throws {
        let shared = try SharedMetrics(slots: 1)
        shared.assign(0, pool: 0)
        let sink = shared.sink(slot: 0, labels: [MetricsLayout.unmatchedLabel], pools: ["main"], commit: "", hashSlots: nil)
        XCTAssertEqual(sink.routeIndex("GET /never-registered"), MetricsLayout.unmatchedRoute)
        sink.requestEnded(route: 10_000, status: 9999, nanoseconds: .max)
        let reading = sink.read()
        XCTAssertEqual(reading.requests[MetricsLayout.unmatchedRoute][MetricsLayout.statusSlots - 1], 1)
        XCTAssertEqual(reading.buckets[MetricsLayout.unmatchedRoute][MetricsLayout.bucketSlots - 1], 1, "+Inf")
    }
}
