/// Who sent a request, for throttling and the audit trail: REMOTE_ADDR, unless the sender
/// is one of `trusted_proxies`; then the nearest address in X-Forwarded-For that is not a
/// trusted proxy (read from the right, where each proxy appends its peer), else X-Real-IP.
/// A client can write anything into those headers, so they count only when a proxy we
/// trust has written the part we read.
package struct ClientAddress: Sendable {
    package let trustedProxies: [CIDR]

    package init(trustedProxies: [CIDR]) { self.trustedProxies = trustedProxies }

    package func of(_ request: Request) -> String {
        let remote = request.remoteAddress
        guard !trustedProxies.isEmpty, let sender = IPAddress(remote), isTrusted(sender) else { return remote }
        var nearest = remote
        let forwarded = request.headers.values("x-forwarded-for")
            .flatMap { $0.split(separator: ",") }.map { $0.trimmingWhitespace() }
        if forwarded.isEmpty, let real = request.headers["x-real-ip"]?.trimmingWhitespace(), IPAddress(real) != nil {
            return real
        }
        for hop in forwarded.reversed() {
            guard let address = IPAddress(hop) else { return nearest }  // a client's garbage: stop at the last real hop
            nearest = hop
            if !isTrusted(address) { return hop }
        }
        return nearest
    }

    func isTrusted(_ address: IPAddress) -> Bool { trustedProxies.contains { $0.contains(address) } }
}
