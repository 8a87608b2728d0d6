/// The rules, in the spirit of Authelia's regulation, applied to a record of failures.
///
/// An address that fails `maxFailures` times within `window` seconds of its first failure
/// is banned outright for `ban` seconds: one client guessing gets nowhere.
///
/// A username is never banned outright, since anyone can type it: once it has failed
/// `maxFailures` times, each further failure locks it for 1, 2, 4 … seconds, at most `ban`,
/// and the count starts over once `window` seconds pass after the lock without a failure.
/// A stranger spread over many addresses thus gets a dozen guesses an hour at one
/// account, and the owner is never kept out longer than one `ban`.
public struct ThrottlePolicy: Sendable {
    public struct Rule: Sendable, Equatable {
        public var maxFailures: Int
        public var window: Int64
        public var ban: Int64

        /// 0 failures: the rule is off.
        public var isOn: Bool { maxFailures > 0 }
    }

    public var address: Rule
    public var user: Rule

    public init(address: Rule, user: Rule) {
        self.address = address
        self.user = user
    }

    public init(config: Config) {
        address = Rule(maxFailures: config.throttleAddressMaxFailures, window: Int64(config.throttleAddressWindowSeconds),
                       ban: Int64(config.throttleAddressBanSeconds))
        user = Rule(maxFailures: config.throttleUserMaxFailures, window: Int64(config.throttleUserWindowSeconds),
                    ban: Int64(config.throttleUserBanSeconds))
    }

    /// Seconds until the record's ban ends, or nil when there is none.
    public static func retryAfter(_ record: FailureRecord?, now: Int64) -> Int64? {
        guard let record, record.banUntil > now else { return nil }
        return record.banUntil - now
    }

    /// The address's record after one more failure.
    public func addressFailure(_ record: FailureRecord?, now: Int64) -> FailureRecord {
        let rule = address
        var record = record ?? FailureRecord()
        if record.failures == 0 || now >= record.windowStart + rule.window { record = FailureRecord(windowStart: now) }
        record.failures += 1
        if record.failures >= rule.maxFailures {
            record.banUntil = now + rule.ban
            record.failures = 0
        }
        record.expiresAt = max(record.banUntil, record.windowStart + rule.window)
        return record
    }

    /// The username's record after one more failure.
    public func userFailure(_ record: FailureRecord?, now: Int64) -> FailureRecord {
        let rule = user
        var record = record ?? FailureRecord()
        if now >= max(record.banUntil, record.windowStart) + rule.window { record = FailureRecord() }
        record.failures += 1
        record.windowStart = now
        if record.failures >= rule.maxFailures {
            let lock = min(Int64(1) << Int64(min(record.strikes, 40)), rule.ban)
            record.banUntil = now + lock
            record.strikes += 1
        }
        record.expiresAt = max(record.banUntil, record.windowStart) + rule.window
        return record
    }
}
