import Synchronization

/// Hashes new passwords with Argon2id as pwdlib does (same parameters, same PHC
/// strings), and verifies Argon2 (any variant) and legacy bcrypt hashes.
public struct PasswordHasher: Sendable {
    public let memoryKiB: UInt32
    public let timeCost: UInt32
    public let parallelism: UInt32
    public static let saltLength = 16
    public static let hashLength = 32

    let limits: Argon2Hash.Limits
    /// How much costlier than the configured parameters a stored Argon2 hash may be.
    public static let costMultiple: UInt32 = 4

    public init(config: Config) {
        memoryKiB = UInt32(config.argon2MemoryKiB)
        timeCost = UInt32(config.argon2TimeCost)
        parallelism = UInt32(config.argon2Parallelism)
        // Hashes made elsewhere may be stronger than ours, within a small multiple of our cost:
        // a stored hash asking for more would make every login attempt a denial of service.
        func bound(_ configured: Int, _ otherwise: UInt32) -> UInt32 { configured > 0 ? UInt32(configured) : otherwise }
        limits = Argon2Hash.Limits(
            maxMemoryKiB: bound(config.argon2MaxMemoryKiB, memoryKiB * PasswordHasher.costMultiple),
            maxTimeCost: bound(config.argon2MaxTimeCost, timeCost * PasswordHasher.costMultiple),
            maxParallelism: bound(config.argon2MaxParallelism, max(parallelism * PasswordHasher.costMultiple, 16)))
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

    /// Argon2 and bcrypt computations in this process, verifications and new hashes alike:
    /// what tests count to prove that two paths cost the same.
    public static let computations = Atomic<Int>(0)

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

    /// Whether a login that just verified `password` against `hash` may store a fresh hash of
    /// it. Not for a bcrypt hash and a password over 72 bytes: bcrypt compared only the first
    /// 72, so the rest was never proven, and hashing all of it would lock out the owner.
    public func mayRehash(_ hash: String, from password: String) -> Bool {
        guard needsRehash(hash) else { return false }
        return !(hash.hasPrefix("$2") && password.utf8.count > Bcrypt.maxPasswordBytes)
    }

    /// Spends one verification's worth of time, so that an unknown username answers
    /// no faster than a wrong password.
    public func verifyDummy(_ password: String) {
        _ = verify(password, hash: dummyHash)
    }

    /// Whether `hash` is a PHC string Gatehouse can verify (for `--password-hash`).
    public func isWellFormed(_ hash: String) -> Bool { problem(with: hash) == nil }

    /// Why `hash` cannot be stored: not a hash Gatehouse reads, or costlier than it will verify.
    public func problem(with hash: String) -> String? {
        if Argon2Hash(parsing: hash, limits: limits) != nil || Bcrypt.isWellFormed(hash) { return nil }
        let unbounded = Argon2Hash.Limits(maxMemoryKiB: .max, maxTimeCost: .max, maxParallelism: .max)
        if let phc = Argon2Hash(parsing: hash, limits: unbounded) {
            return "its cost (m=\(phc.memoryKiB), t=\(phc.timeCost), p=\(phc.parallelism)) is above what Gatehouse verifies: "
                + "m ≤ \(limits.maxMemoryKiB), t ≤ \(limits.maxTimeCost), p ≤ \(limits.maxParallelism) "
                + "(argon2_max_memory_kib, argon2_max_time_cost, argon2_max_parallelism)"
        }
        if hash.hasPrefix("$2") { return "not a bcrypt hash of cost 4 to \(Bcrypt.maxCost)" }
        return "not an Argon2 or bcrypt PHC string"
    }

    /// The same check with the default configuration's bounds.
    public static func isWellFormed(_ hash: String) -> Bool {
        PasswordHasher(config: Config()).isWellFormed(hash)
    }

    /// A hash no password matches, with the configured parameters: verifying against it costs
    /// exactly what a real verification costs, and making it costs nothing (no hash is computed,
    /// so neither a CGI run nor a worker's first request pays for two).
    var dummyHash: String {
        Argon2Hash(
            variant: .argon2id, version: Argon2Hash.version13, memoryKiB: memoryKiB, timeCost: timeCost,
            parallelism: parallelism, salt: PasswordHasher.dummySalt, hash: PasswordHasher.dummyOutput
        ).encoded
    }

    static let dummySalt = LibCrypto.randomBytes(saltLength)
    static let dummyOutput = LibCrypto.randomBytes(hashLength)
}
