/// Creates the tokens that mail out and queues the message that carries each, in one
/// transaction: a token nobody receives is never written, and a queued message always has
/// its token. The CLI (invites) and the routes share it.
package struct AccountIssuer {
    package let store: Store
    package let key: [UInt8]

    package init(store: Store, key: [UInt8]) {
        self.store = store
        self.key = key
    }

    /// Who the message goes to, as the template greets them.
    package struct Recipient {
        package var address: String
        package var username: String
        package var fullName: String

        package init(address: String, username: String = "", fullName: String = "") {
            self.address = address
            self.username = username
            self.fullName = fullName
        }
    }

    /// A token of `purpose` that lives `lifetime` seconds, its row, and (with a recipient)
    /// its queued message. `decoy` writes both rows dead: the same work as a real request,
    /// for a request about nobody, so that its answer and its cost say nothing.
    @discardableResult
    package func issue(_ purpose: AccountTokenPurpose, userID: Int64?, email: String?, passwordChangedAt: Int64? = nil,
                       lifetime: Int64, createdBy: String = "", mailTo recipient: Recipient?, decoy: Bool = false,
                       now: Int64) throws -> String {
        let nonce = AccountToken.newNonce()
        let token = AccountToken.derive(purpose, nonce: nonce, key: key)
        try store.transaction {
            try store.insertAccountToken(hash: AccountToken.hash(token), AccountTokenRecord(
                purpose: purpose, userID: decoy ? nil : userID, email: email, passwordChangedAt: passwordChangedAt,
                createdBy: createdBy, createdAt: now, expiresAt: decoy ? now : now + lifetime, spentAt: decoy ? now : nil))
            if let recipient {
                try store.enqueue(OutboxMessage(
                    kind: purpose, recipient: decoy ? "" : recipient.address, username: recipient.username,
                    fullName: recipient.fullName, nonce: decoy ? nil : nonce, state: decoy ? .discarded : .queued, now: now))
            }
        }
        return token
    }

    /// The token a queued message carries.
    package func token(for message: OutboxMessage) -> String? {
        message.nonce.map { AccountToken.derive(message.kind, nonce: $0, key: key) }
    }
}

extension App {
    package var accountIssuer: AccountIssuer { AccountIssuer(store: store, key: accountTokenKey) }

    /// Registrations and mail requests from one address: `account_requests_per_address` a
    /// window, counted before any work, in the memory every worker shares (no write).
    func countAccountRequest(_ request: Request) throws(HTTPError) {
        guard config.accountRequestsPerAddress > 0 else { return }
        let window = Int64(config.accountRequestsWindowSeconds)
        let rule = ThrottlePolicy.Rule(maxFailures: config.accountRequestsPerAddress, window: window, ban: window)
        let policy = ThrottlePolicy(address: rule, user: ThrottlePolicy.Rule(maxFailures: 0, window: 1, ban: 1))
        let key = Throttle.key(accountRequestsFrom: clientAddress.of(request))
        let now = now()
        if let wait = ThrottlePolicy.retryAfter(failureLedger.record(key, now: now), now: now) {
            throw HTTPError(429, "Too many requests", headers: Headers([("retry-after", String(max(1, wait)))]))
        }
        failureLedger.update(key, now: now) { policy.addressFailure($0, now: now) }
    }

    /// A new password's hash, under the main pool's hash limit like any other hash.
    func hashNewPassword(_ password: String) throws -> String {
        if let hashLimiter { guard hashLimiter.tryEnter() else { throw HTTPError.serviceUnavailable } }
        defer { hashLimiter?.leave() }
        return try hasher.hash(password)
    }
}
