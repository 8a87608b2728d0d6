/// The counts of this one process: CGI, `gatehouse request`, unit tests, a single-process server.
public final class LocalMetrics: MetricsSink {
    let block: MetricsBlock
    private(set) var labels = [MetricsLayout.unmatchedLabel]
    let commit: String

    public init(commit: String = "unknown") {
        self.commit = commit
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: MetricsLayout.words)
        words.initialize(repeating: 0, count: MetricsLayout.words)
        words[MetricsLayout.alive] = 1
        block = MetricsBlock(base: words)
    }

    deinit { block.base.deallocate() }

    public func routeIndex(_ label: String) -> Int {
        if let index = labels.firstIndex(of: label) { return index }
        guard labels.count < MetricsLayout.maxRoutes else { return MetricsLayout.unmatchedRoute }
        labels.append(label)
        return labels.count - 1
    }

    public func requestBegan() { block.began() }
    public func requestEnded(route: Int, status: Int, nanoseconds: UInt64) {
        block.ended(route: route, status: status, nanoseconds: nanoseconds)
    }
    public func count(_ event: MetricEvent) { block.count(event) }

    public func read() -> MetricsReading {
        var reading = MetricsReading(routes: labels)
        reading.commit = commit
        block.add(to: &reading)
        return reading
    }
}
