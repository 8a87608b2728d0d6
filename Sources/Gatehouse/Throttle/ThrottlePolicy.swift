/// The rules, in the spirit of Authelia's regulation, applied to a record of failures.
///
/// An address that fails `maxFailures` times within `window` seconds of its first failure
/// is banned outright for `ban` seconds: one client guessing gets nowhere.
///
/// A username is never banned outright, since anyone can type it: once it has failed
/// `maxFailures` times, each further failure locks it for 1, 2, 4 … seconds, at most `ban`;
/// each `window` of quiet after a lock halves the next lock again. A stranger spread over
/// many addresses thus gets at most `maxFailures` guesses a `window` at one account (24 an
/// hour when guessing as fast as the locks allow), and the owner is never kept out longer
/// than one `ban`.
package struct ThrottlePolicy: Sendable {
    package struct Rule: Sendable, Equatable {
        package var maxFailures: Int
        package var window: Int64
        package var ban: Int64

        /// 0 failures: the rule is off.
        package var isOn: Bool { maxFailures > 0 }
    }

    package var address: Rule
    package var user: Rule

    package init(address: Rule, user: Rule) {
        self.address = address
        self.user = user
    }

    package init(config: Config) {
        address = Rule(maxFailures: config.throttleAddressMaxFailures, window: Int64(config.throttleAddressWindowSeconds),
                       ban: Int64(config.throttleAddressBanSeconds))
        user = Rule(maxFailures: config.throttleUserMaxFailures, window: Int64(config.throttleUserWindowSeconds),
                    ban: Int64(config.throttleUserBanSeconds))
    }

    /// Seconds until the record's ban ends, or nil when there is none.
    package static func retryAfter(_ record: FailureRecord?, now: Int64) -> Int64? {
        guard let record, record.banUntil > now else { return nil }
        return record.banUntil - now
    }

    /// The address's record after one more failure.
    package func addressFailure(_ record: FailureRecord?, now: Int64) -> FailureRecord {
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

    /// The username's record after one more failure. Below the limit, `window` quiet
    /// seconds after the last failure forget the count; in back-off, each quiet `window`
    /// after the lock ends takes one doubling back, and the count starts over only when
    /// none is left, so pausing buys an attacker little.
    package func userFailure(_ record: FailureRecord?, now: Int64) -> FailureRecord {
        let rule = user
        var record = record ?? FailureRecord()
        let quiet = now - max(record.banUntil, record.windowStart)
        if record.strikes == 0 {
            if quiet >= rule.window { record = FailureRecord() }
        } else if quiet >= rule.window {
            record.strikes -= Int32(clamping: min(Int64(record.strikes), quiet / rule.window))
            if record.strikes == 0 { record = FailureRecord() }
        }
        record.failures += 1
        record.windowStart = now
        if record.failures >= rule.maxFailures {
            record.banUntil = now + min(Int64(1) << Int64(min(record.strikes, 40)), rule.ban)
            record.strikes += 1
        }
        record.expiresAt = max(record.banUntil, record.windowStart) + rule.window * Int64(record.strikes + 1)
        return record
    }
}
