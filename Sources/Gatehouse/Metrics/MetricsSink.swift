/// Where App counts what it does, for `GET /metrics`. The server's sink writes into memory
/// the prefork master mapped before it forked (each worker only its own block, so no lock);
/// CGI, tests and a site's own single process use `LocalMetrics`.
///
/// Counting must stay a few stores: no allocation, no system call, no lock on a request's way.
public protocol MetricsSink: AnyObject {
    /// The label index of a route (`METHOD /path/template`), asked once per route when App is built.
    func routeIndex(_ label: String) -> Int
    /// A request is being answered.
    func requestBegan()
    /// It was answered: its route's index (`MetricsLayout.unmatchedRoute` when no route matched),
    /// its status and how long it took.
    func requestEnded(route: Int, status: Int, nanoseconds: UInt64)
    func count(_ event: MetricEvent)
    /// Every worker's counts, summed, with what only the master knows.
    func read() -> MetricsReading
}

/// The counted events besides requests.
public enum MetricEvent: Int, CaseIterable, Sendable {
    case loginSucceeded, loginFailed, loginThrottled
    case refreshSucceeded, refreshReuse
    case apiKeyUsed
    /// A password check the main pool refused (503) because its hash slots were full.
    case hashRefused
}
