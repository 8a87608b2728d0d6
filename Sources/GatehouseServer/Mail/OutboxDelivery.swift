import FoundationEssentials
import Glibc
import Gatehouse
import Logging

/// One delivery pass over the outbox, run by the master (in a child of its own, so a slow
/// mail server never holds up its signals and workers): every due message is rendered with
/// its token, sent, and marked sent, or queued again after `mail_retry_seconds` doubling
/// with each attempt (at most six hours), or marked failed after `mail_max_attempts`.
/// Rows a decoy request wrote, tokens long dead and messages sent `mail_keep_sent_days` ago
/// are removed on the way.
public struct OutboxDelivery {
    public let config: Config
    public let logger: Logger
    let transport: any MailTransport

    public init(config: Config, logger: Logger, transport: (any MailTransport)? = nil) throws {
        self.config = config
        self.logger = logger
        guard let chosen = try transport ?? MailTransports.configured(config) else {
            throw MailTransportError("mail_transport = none: nothing delivers")
        }
        self.transport = chosen
    }

    public struct Summary: Equatable, Sendable {
        public var sent = 0
        public var retrying = 0
        public var failed = 0

        public init(sent: Int = 0, retrying: Int = 0, failed: Int = 0) {
            self.sent = sent
            self.retrying = retrying
            self.failed = failed
        }
    }

    static let longestWait: Int64 = 6 * 3600
    /// Longer than an SMTP attempt may take (libcurl gives up after 70 s).
    static let lease: Int64 = 300

    @discardableResult
    public func run(now: Int64 = Int64(Date().timeIntervalSince1970)) throws -> Summary {
        let store = try Store.open(config: config)
        let issuer = AccountIssuer(store: store, key: try AccountToken.loadKey(config: config))
        try store.purgeDiscardedMessages()
        try store.pruneAccountTokens(before: now - 86400)
        if config.mailKeepSentDays > 0 {
            try store.purgeMessages(failed: false, before: now - Int64(config.mailKeepSentDays) * 86400)
        }
        var summary = Summary()
        for message in try store.dueMessages(now: now) {
            // Several nodes over one PostgreSQL each run a pass: one of them sends each message.
            guard try store.claimMessage(id: message.id, now: now, lease: OutboxDelivery.lease) else { continue }
            do {
                guard let token = issuer.token(for: message) else { throw MailTransportError("no token to send") }
                let bytes = try message.compose(token: token, config: config, now: now)
                try transport.send(bytes, from: config.mailFrom ?? "", to: message.recipient, id: message.id)
                try store.markSent(id: message.id, now: Int64(Date().timeIntervalSince1970))
                summary.sent += 1
                logger.info("mail: sent message \(message.id) (\(message.kind.rawValue))")
            } catch {
                let attempts = message.attempts + 1
                let retryAt: Int64? = attempts >= config.mailMaxAttempts ? nil
                    : now + min(Int64(config.mailRetrySeconds) << Int64(min(attempts - 1, 30)), OutboxDelivery.longestWait)
                try store.markAttemptFailed(id: message.id, error: "\(error)", retryAt: retryAt, now: now)
                if retryAt == nil {
                    summary.failed += 1
                    logger.error("mail: message \(message.id) failed after \(attempts) attempts: \(error)")
                } else {
                    summary.retrying += 1
                    logger.warning("mail: message \(message.id), attempt \(attempts) failed, retrying: \(error)")
                }
            }
        }
        return summary
    }
}
