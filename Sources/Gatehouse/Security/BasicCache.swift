import FoundationEssentials
import Glibc

/// A short-lived, per-worker memory of successful Basic verifications, so that Argon2
/// runs once per credential and not on every request. Keyed by an HMAC of the
/// credentials under a key that lives only in this process; the password is never kept.
/// An entry counts only while the user's stored hash is the one it was verified against
/// (a new password always has a new salt, even within the same second).
final class BasicCache {
    private struct Entry {
        let userID: Int64
        let passwordHash: String
        let expires: Int64
    }

    private let key = HMACKey(secret: LibCrypto.randomBytes(32), digest: .sha256)!
    private let lifetime: Int64
    private var entries: [[UInt8]: Entry] = [:]
    static let capacity = 10_000

    init(lifetime: Int) { self.lifetime = Int64(lifetime) }

    private func fingerprint(_ username: String, _ password: String) -> [UInt8] {
        var message: [UInt8] = []
        message.reserveCapacity(username.utf8.count + 1 + password.utf8.count)
        message += username.utf8
        message.append(0)
        message += password.utf8
        return key.mac(message)
    }

    enum Lookup {
        /// Verified within the lifetime, against the user's current hash: no hash needed.
        case valid
        /// Verified here before, against the current hash, but longer ago than the lifetime:
        /// it needs a hash again, and is almost surely the account's own client.
        case expired
        case unknown
    }

    func lookup(username: String, password: String, user: User, now: Int64) -> Lookup {
        guard lifetime > 0 else { return .unknown }
        let fp = fingerprint(username, password)
        guard let entry = entries[fp] else { return .unknown }
        guard entry.userID == user.id, entry.passwordHash == user.passwordHash, !user.disabled else {
            entries[fp] = nil
            return .unknown
        }
        return entry.expires > now ? .valid : .expired
    }

    func remember(username: String, password: String, user: User, now: Int64) {
        guard lifetime > 0, !user.disabled else { return }
        if entries.count >= BasicCache.capacity {
            entries = entries.filter { $0.value.expires > now }
            if entries.count >= BasicCache.capacity { entries.removeAll() }
        }
        entries[fingerprint(username, password)] = Entry(
            userID: user.id, passwordHash: user.passwordHash, expires: now + lifetime)
    }
}
