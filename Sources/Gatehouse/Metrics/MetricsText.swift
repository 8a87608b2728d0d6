/// The Prometheus text exposition format (version 0.0.4) of a reading: only series that
/// counted something, except the fixed ones (logins, refreshes, build info), so the answer
/// stays as small as the traffic it describes.
public enum MetricsText {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ reading: MetricsReading, activeSessions: Int?) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)] = [], _ value: String) {
            out += name
            if !labels.isEmpty {
                out += "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
            }
            out += " \(value)\n"
        }
        func poolName(_ index: Int) -> String {
            index < reading.poolNames.count ? reading.poolNames[index] : "pool\(index)"
        }

        family("gatehouse_build_info", "gauge", "The running release; always 1.")
        sample("gatehouse_build_info", [("version", Version.current), ("commit", reading.commit)], "1")

        let routes = reading.routes.enumerated().map { index, label -> (method: String, route: String) in
            if index == MetricsLayout.unmatchedRoute { return ("", MetricsLayout.unmatchedLabel) }
            let parts = label.split(separator: " ", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[0], parts[1]) : ("", label)
        }
        family("gatehouse_requests_total", "counter", "Requests answered, by route template (unmatched: no route) and status.")
        for (index, route) in routes.enumerated() {
            for (slot, count) in reading.requests[index].enumerated() where count > 0 {
                let status = slot < MetricsLayout.statuses.count ? String(MetricsLayout.statuses[slot]) : "other"
                sample("gatehouse_requests_total", [("method", route.method), ("route", route.route), ("status", status)], "\(count)")
            }
        }
        family("gatehouse_request_duration_seconds", "histogram", "Time from the request's arrival in Gatehouse to its answer.")
        for (index, route) in routes.enumerated() {
            let buckets = reading.buckets[index]
            let total = buckets.reduce(0, &+)
            guard total > 0 else { continue }
            let labels = [("method", route.method), ("route", route.route)]
            var cumulative: UInt64 = 0
            for (slot, count) in buckets.enumerated() {
                cumulative &+= count
                let bound = slot < MetricsLayout.bounds.count ? number(MetricsLayout.bounds[slot]) : "+Inf"
                sample("gatehouse_request_duration_seconds_bucket", labels + [("le", bound)], "\(cumulative)")
            }
            sample("gatehouse_request_duration_seconds_sum", labels, number(Double(reading.sums[index]) / 1e9))
            sample("gatehouse_request_duration_seconds_count", labels, "\(total)")
        }

        func event(_ e: MetricEvent) -> String { "\(reading.events[e.rawValue])" }
        family("gatehouse_logins_total", "counter", "Password logins (POST /token, the sign-in page): ok, failed, or throttled (429, no hash).")
        sample("gatehouse_logins_total", [("outcome", "ok")], event(.loginSucceeded))
        sample("gatehouse_logins_total", [("outcome", "failed")], event(.loginFailed))
        sample("gatehouse_logins_total", [("outcome", "throttled")], event(.loginThrottled))
        family("gatehouse_refreshes_total", "counter", "Refresh grants: ok, or a spent token presented again (its session ended).")
        sample("gatehouse_refreshes_total", [("outcome", "ok")], event(.refreshSucceeded))
        sample("gatehouse_refreshes_total", [("outcome", "reuse_detected")], event(.refreshReuse))
        family("gatehouse_api_key_uses_total", "counter", "Requests authenticated by an API key.")
        sample("gatehouse_api_key_uses_total", [], event(.apiKeyUsed))
        family("gatehouse_hash_refusals_total", "counter", "Password checks the main pool answered 503 because its hash slots were full.")
        sample("gatehouse_hash_refusals_total", [], event(.hashRefused))

        if let activeSessions {
            family("gatehouse_active_sessions", "gauge", "Sessions that have not ended, expired or gone idle.")
            sample("gatehouse_active_sessions", [], "\(activeSessions)")
        }
        family("gatehouse_hash_queue_length", "gauge",
               "Password hashes under way: the main pool's hash slots in use, the login pool's busy workers (each request there is a login).")
        if let hashes = reading.mainPoolHashes { sample("gatehouse_hash_queue_length", [("pool", "main")], "\(hashes.running)") }
        if reading.workers[1] != nil { sample("gatehouse_hash_queue_length", [("pool", "login")], "\(reading.busy[1] ?? 0)") }
        family("gatehouse_workers", "gauge", "Worker processes running, by pool.")
        for pool in reading.workers.keys.sorted() { sample("gatehouse_workers", [("pool", poolName(pool))], "\(reading.workers[pool]!)") }
        family("gatehouse_requests_in_progress", "gauge", "Workers answering a request right now, by pool (this scrape included).")
        for pool in reading.workers.keys.sorted() {
            sample("gatehouse_requests_in_progress", [("pool", poolName(pool))], "\(reading.busy[pool] ?? 0)")
        }
        family("gatehouse_worker_restarts_total", "counter", "Workers the master started again after one died, by pool.")
        for pool in reading.restarts.keys.sorted() {
            sample("gatehouse_worker_restarts_total", [("pool", poolName(pool))], "\(reading.restarts[pool]!)")
        }
        return out
    }

    /// Label values escape backslash, double quote and newline; nothing else needs it.
    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// A float as Prometheus reads it: no exponent for the bucket bounds, enough digits for sums.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
