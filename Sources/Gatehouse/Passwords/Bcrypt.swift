import CXCrypt

/// Verification of legacy bcrypt hashes (`$2a$`, `$2b$`, `$2y$`, as passlib and the
/// bcrypt package write them) through libxcrypt's `crypt_r`. Gatehouse never writes bcrypt.
enum Bcrypt {
    /// Costs above this take seconds per attempt: a stored hash asking for more is refused.
    static let maxCost = 16
    /// bcrypt reads at most this many bytes of a password and ignores the rest.
    static let maxPasswordBytes = 72
    static let alphabet = Set("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// `$2b$12$` + 22 salt characters + 31 hash characters, cost 4…maxCost.
    static func isWellFormed(_ hash: String) -> Bool {
        let b = Array(hash.utf8)
        guard b.count == 60, b[0] == 36, b[1] == 50, [97, 98, 121].contains(b[2]), b[3] == 36, b[6] == 36
        else { return false }
        guard let cost = Int(String(decoding: b[4...5], as: UTF8.self)), b[4] >= 48, b[4] <= 57,
            (4...maxCost).contains(cost)
        else { return false }
        return b[7...].allSatisfy { alphabet.contains($0) }
    }

    static func verify(_ password: String, hash: String) -> Bool {
        guard isWellFormed(hash), !password.utf8.contains(0) else { return false }
        // struct crypt_data is 32 KiB: too large for a thread's stack to be a good idea.
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer { data.deallocate() }
        UnsafeMutableRawPointer(data).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
        PasswordHasher.computations.add(1, ordering: .relaxed)
        guard let result = crypt_r(password, hash, data) else { return false }
        let computed = Array(String(cString: result).utf8)
        // libxcrypt reports failure with a string starting with '*', never equal to a hash.
        return LibCrypto.constantTimeEquals(computed, Array(hash.utf8))
    }
}
