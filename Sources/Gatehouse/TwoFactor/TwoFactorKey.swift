/// The server's two-factor key, read from `totp_key_file` (64 hex characters, 0600, in the
/// data folder, generated when missing). Two keys are derived from it: one encrypts each TOTP
/// secret with AES-256-GCM, bound to its account, so a copy of the database alone yields no
/// secret (a TOTP check needs the secret itself, so it cannot be hashed); the other keys the
/// HMAC-SHA256 of recovery codes.
package struct TwoFactorKey: Sendable {
    private let material: [UInt8]

    init(material: [UInt8]) { self.material = material }

    // Derived on use, not at load: loading keys must not initialise OpenSSL for requests that
    // never touch two-factor (a CGI /health would pay for it).
    var encryption: [UInt8] { LibCrypto.hmac(.sha256, key: material, data: Array("gatehouse totp secret encryption".utf8)) }
    var recovery: [UInt8] { LibCrypto.hmac(.sha256, key: material, data: Array("gatehouse recovery code hashing".utf8)) }

    package static func load(config: Config) throws(ConfigError) -> TwoFactorKey {
        let path = config.totpKeyPath
        let material = try SecretFile.loadOrCreate(path: path, setting: "totp_key_file")
        guard SecretStrength.isRandomEnough(material) else {
            throw ConfigError("totp_key_file \(path): too little randomness; use e.g. `openssl rand -hex 32`")
        }
        return TwoFactorKey(material: material)
    }

    /// The secret as stored: nonce, ciphertext and tag, authenticated with the account id, so
    /// that a row copied to another account does not open.
    package func seal(_ secret: [UInt8], userID: Int64) -> [UInt8] {
        LibCrypto.seal(secret, key: encryption, associated: TwoFactorKey.binding(userID))
    }

    package func open(_ sealed: [UInt8], userID: Int64) -> [UInt8]? {
        LibCrypto.open(sealed, key: encryption, associated: TwoFactorKey.binding(userID))
    }

    static func binding(_ userID: Int64) -> [UInt8] { Array("totp user \(userID)".utf8) }

    /// What is stored of a recovery code (its canonical form). A keyed fast hash suffices:
    /// the codes are 128 uniformly random bits, beyond any search however fast the hash, and
    /// the key keeps even that search away from whoever holds only the database; Argon2 would
    /// cost a login ten slow hashes for nothing.
    package func recoveryHash(_ canonical: String) -> [UInt8] {
        LibCrypto.hmac(.sha256, key: recovery, data: Array(canonical.utf8))
    }
}

/// Recovery codes: 16 random bytes as 26 lower-case base32 characters, shown in five groups
/// (`abcde-fghij-klmno-pqrst-uvwxyz`). Typed back with or without dashes, spaces or case.
package enum RecoveryCode {
    package static let count = 10

    package static func generate() -> String {
        let text = Base32.encode(LibCrypto.randomBytes(16)).lowercased()
        var groups: [Substring] = []
        var rest = Substring(text)
        for _ in 0..<4 {
            groups.append(rest.prefix(5))
            rest = rest.dropFirst(5)
        }
        groups.append(rest)
        return groups.joined(separator: "-")
    }

    /// The code's canonical form (upper case, no separators), or nil when it cannot be one.
    package static func canonical(_ typed: String) -> String? {
        let text = String(typed.filter { $0 != "-" && $0 != " " }).uppercased()
        guard text.utf8.count == 26, let bytes = Base32.decode(text), bytes.count == 16 else { return nil }
        return text
    }
}
