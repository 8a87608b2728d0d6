/// `GET /metrics`: the Prometheus text of every worker of this master, only to clients in
/// `metrics_allow` (loopback by default). Others get 403: a scraper that is refused says
/// why, and what it would learn (counts, no identities) is not worth hiding that it exists.
enum MetricsRoute {
    static let refused = HTTPError(403, "Metrics are not served to this address")

    static func metrics(_ context: inout Context) throws -> Output {
        let app = context.app
        let client = IPAddress(app.clientAddress.of(context.request))
        guard let client, app.config.metricsAllow.contains(where: { $0.contains(client) }) else { throw refused }
        let sessions = try? app.store.liveSessionCount(now: app.now(), idleSeconds: app.config.sessionIdle)
        var output = Output()
        output.page = (MetricsText.contentType, Array(MetricsText.render(app.metrics.read(), activeSessions: sessions).utf8))
        return output
    }
}
