/// Brute-force throttling of password and API-key checks: the policy over the ledger,
/// keyed by a hash of the client's address and of the username.
package struct Throttle: Sendable {
    package let ledger: any FailureLedger
    package let policy: ThrottlePolicy

    package init(ledger: any FailureLedger, policy: ThrottlePolicy) {
        self.ledger = ledger
        self.policy = policy
    }

    /// Seconds the caller must wait, when the address or the username is banned now.
    package func retryAfter(address: String, username: String?, now: Int64) -> Int64? {
        let waits = [
            policy.address.isOn ? ThrottlePolicy.retryAfter(ledger.record(addressKey(address), now: now), now: now) : nil,
            policy.user.isOn ? username.flatMap { ThrottlePolicy.retryAfter(ledger.record(userKey($0), now: now), now: now) } : nil,
        ].compactMap { $0 }
        return waits.max()
    }

    /// Counts one failure for both; the ban it began, in seconds, if it began one.
    package func recordFailure(address: String, username: String?, now: Int64) -> Int64? {
        var bans: [Int64] = []
        if policy.address.isOn {
            ledger.update(addressKey(address), now: now) { current in
                let next = policy.addressFailure(current, now: now)
                if next.banUntil > now, (current?.banUntil ?? 0) <= now { bans.append(next.banUntil - now) }
                return next
            }
        }
        if policy.user.isOn, let username {
            ledger.update(userKey(username), now: now) { current in
                let next = policy.userFailure(current, now: now)
                if next.banUntil > now, (current?.banUntil ?? 0) <= now { bans.append(next.banUntil - now) }
                return next
            }
        }
        return bans.max()
    }

    func addressKey(_ address: String) -> UInt64 { Throttle.key(address: address, stable: ledger.sharedAcrossNodes) }
    func userKey(_ user: String) -> UInt64 { Throttle.key(user: user, stable: ledger.sharedAcrossNodes) }

    /// An IPv6 client usually holds a whole /64, so that is what counts as one address.
    package static func key(address: String, stable: Bool = false) -> UInt64 {
        guard let ip = IPAddress(address)?.unmapped else { return key("address", Array(address.utf8), stable: stable) }
        return key("address", ip.bytes.count == 16 ? ip.prefix(64).bytes : ip.bytes, stable: stable)
    }

    /// Registrations and mail requests count apart from failed logins, by the same /64.
    package static func key(accountRequestsFrom address: String) -> UInt64 {
        guard let ip = IPAddress(address)?.unmapped else { return key("account", Array(address.utf8)) }
        return key("account", ip.bytes.count == 16 ? ip.prefix(64).bytes : ip.bytes)
    }

    /// Usernames are case-insensitive (ASCII), so `JohnDoe` and `johndoe` share a record.
    package static func key(user: String, stable: Bool = false) -> UInt64 {
        key("user", user.lowercased().utf8, stable: stable)
    }

    /// SipHash with the process's random seed, which forked workers inherit from their master:
    /// every worker computes the same key, and nobody outside can aim at a slot of the shared
    /// table. `stable`, for nodes that share a database table (no slots to aim at): SHA-256's
    /// first eight bytes, the same in every process.
    static func key<Bytes: Collection<UInt8>>(_ kind: String, _ bytes: Bytes, stable: Bool = false) -> UInt64 {
        let key: UInt64
        if stable {
            key = LibCrypto.digest(.sha256, Array(kind.utf8) + [0] + bytes).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
        } else {
            // As Hasher takes an array: its count, then its bytes.
            var hasher = Hasher()
            hasher.combine(kind)
            hasher.combine(bytes.count)
            for byte in bytes { hasher.combine(byte) }
            key = UInt64(bitPattern: Int64(hasher.finalize()))
        }
        return key == 0 ? 1 : key  // 0 marks a free slot
    }
}

extension HTTPError {
    package static func throttled(retryAfter seconds: Int64) -> HTTPError {
        HTTPError(429, "Too many failed login attempts", headers: Headers([("retry-after", String(max(1, seconds)))]))
    }

    /// nginx's auth_request turns anything but 2xx, 401 and 403 into a 500: /check says
    /// 403 with `X-Gatehouse-Error: throttled`, and auth-request.conf answers the client 429.
    package func forAuthRequest() -> HTTPError {
        guard status == 429 else { return self }
        var mapped = self
        mapped.status = 403
        mapped.headers.add("x-gatehouse-error", "throttled")
        return mapped
    }
}

extension App {
    package var throttle: Throttle { Throttle(ledger: failureLedger, policy: ThrottlePolicy(config: config)) }
    package var clientAddress: ClientAddress { ClientAddress(trustedProxies: config.trustedProxies) }

    /// Runs a credential check (`scheme`: password, basic, apikey) under the throttle: 429
    /// before any work while the client's address or the username is banned; a failed
    /// check (it throws a 400 or 401) is counted for both and audited. Success writes nothing.
    func throttled<T>(_ request: Request, username: String?, scheme: String, _ check: () throws -> T) throws -> T {
        let address = clientAddress.of(request)
        let now = now()
        let username = username.flatMap { Store.validUsername($0) ? $0 : nil }
        if let wait = throttle.retryAfter(address: address, username: username, now: now) {
            logger.debug("credential check \(scheme): throttled, 0 hashes")
            if scheme == "password" { metrics.count(.loginThrottled) }
            throw HTTPError.throttled(retryAfter: wait)
        }
        // What a debug log shows, so that a test through nginx can count what a check cost.
        let hashesBefore = PasswordHasher.computations.load(ordering: .relaxed)
        func hashes() -> Int { PasswordHasher.computations.load(ordering: .relaxed) - hashesBefore }
        do {
            let result = try check()
            logger.debug("credential check \(scheme): ok, \(hashes()) hashes")
            return result
        } catch let error as HTTPError where error.status == 400 || error.status == 401 {
            logger.debug("credential check \(scheme): failed, \(hashes()) hashes")
            if scheme == "password" { metrics.count(.loginFailed) }
            let ban = throttle.recordFailure(address: address, username: username, now: now)
            let user = username.flatMap { try? store.user(named: $0) }
            audit(.loginFailed, request, user: user, username: username, outcome: "failed", detail: scheme)
            if let ban { audit(.loginThrottled, request, user: user, username: username, outcome: "throttled", detail: "\(scheme), \(ban)s") }
            throw error
        }
    }
}
