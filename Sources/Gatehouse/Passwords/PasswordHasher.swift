import Foundation

/// Hashes new passwords with Argon2id as pwdlib does (same parameters, same PHC
/// strings), and verifies Argon2 (any variant) and legacy bcrypt hashes.
public struct PasswordHasher: Sendable {
    public let memoryKiB: UInt32
    public let timeCost: UInt32
    public let parallelism: UInt32
    public static let saltLength = 16
    public static let hashLength = 32

    let limits: Argon2Hash.Limits

    public init(config: Config) {
        memoryKiB = UInt32(config.argon2MemoryKiB)
        timeCost = UInt32(config.argon2TimeCost)
        parallelism = UInt32(config.argon2Parallelism)
        // Hashes made elsewhere may be stronger than ours, within reason: up to 1 GiB, t=32, p=64.
        limits = Argon2Hash.Limits(
            maxMemoryKiB: max(memoryKiB, 1 << 20), maxTimeCost: max(timeCost, 32), maxParallelism: max(parallelism, 64))
    }

    public struct HashingError: Error, CustomStringConvertible {
        public var description: String
    }

    /// A fresh Argon2id PHC string with a random 16-byte salt.
    public func hash(_ password: String) throws -> String {
        try hash(password, salt: LibCrypto.randomBytes(PasswordHasher.saltLength))
    }

    func hash(_ password: String, salt: [UInt8]) throws -> String {
        var phc = Argon2Hash(
            variant: .argon2id, version: Argon2Hash.version13, memoryKiB: memoryKiB, timeCost: timeCost,
            parallelism: parallelism, salt: salt, hash: [])
        guard let raw = phc.compute(Array(password.utf8), outputLength: PasswordHasher.hashLength) else {
            throw HashingError(description: "Argon2 hashing failed (m=\(memoryKiB), t=\(timeCost), p=\(parallelism))")
        }
        phc.hash = raw
        return phc.encoded
    }

    /// Whether `password` matches `hash`. Anything malformed or out of bounds is false.
    public func verify(_ password: String, hash: String) -> Bool {
        if hash.hasPrefix("$argon2") {
            guard let phc = Argon2Hash(parsing: hash, limits: limits) else { return false }
            return phc.matches(Array(password.utf8))
        }
        if hash.hasPrefix("$2") { return Bcrypt.verify(password, hash: hash) }
        return false
    }

    /// True when the hash is not Argon2id with exactly the configured parameters,
    /// so that the login that just verified it should store a fresh hash.
    public func needsRehash(_ hash: String) -> Bool {
        guard let phc = Argon2Hash(parsing: hash, limits: limits) else { return true }
        return phc.variant != .argon2id || phc.version != Argon2Hash.version13 || phc.memoryKiB != memoryKiB
            || phc.timeCost != timeCost || phc.parallelism != parallelism
            || phc.salt.count != PasswordHasher.saltLength || phc.hash.count != PasswordHasher.hashLength
    }

    /// Spends one verification's worth of time, so that an unknown username answers
    /// no faster than a wrong password.
    public func verifyDummy(_ password: String) {
        _ = verify(password, hash: dummyHash)
    }

    /// Whether `hash` is a PHC string Gatehouse can verify (for `--password-hash`).
    public func isWellFormed(_ hash: String) -> Bool {
        Argon2Hash(parsing: hash, limits: limits) != nil || Bcrypt.isWellFormed(hash)
    }

    /// The same check with the default configuration's bounds.
    public static func isWellFormed(_ hash: String) -> Bool {
        PasswordHasher(config: Config()).isWellFormed(hash)
    }

    var dummyHash: String {
        DummyHashes.shared.hash(for: self)
    }
}

/// One dummy hash per parameter set, computed on first use.
final class DummyHashes: @unchecked Sendable {
    static let shared = DummyHashes()
    private let lock = NSLock()
    private var hashes: [[UInt32]: String] = [:]

    func hash(for hasher: PasswordHasher) -> String {
        let key = [hasher.memoryKiB, hasher.timeCost, hasher.parallelism]
        lock.lock()
        defer { lock.unlock() }
        if let h = hashes[key] { return h }
        let h = (try? hasher.hash("gatehouse-dummy-password")) ?? "$argon2id$v=19$m=\(key[0]),t=\(key[1]),p=\(key[2])$"
        hashes[key] = h
        return h
    }
}
