/// API keys as handed to their owner: `gh_<id>_<secret>`, with a 16-hex-digit public id
/// (the row's key) and 32 random bytes of secret in base64url. Only SHA-256 of the
/// secret is stored: with 256 random bits there is nothing for a slow hash to protect.
package enum APIKeys {
    package static let prefix = "gh_"
    static let idLength = 16

    package struct Parsed: Sendable, Equatable {
        package let id: String
        package let secret: String
    }

    package static func generate() -> (id: String, secret: String, key: String) {
        let id = LibCrypto.hex(LibCrypto.randomBytes(idLength / 2))
        let secret = Base64.urlEncode(LibCrypto.randomBytes(32))
        return (id, secret, "\(prefix)\(id)_\(secret)")
    }

    package static func parse(_ key: String) -> Parsed? {
        let bytes = Array(key.utf8)
        guard bytes.count == prefix.count + idLength + 1 + 43, key.hasPrefix(prefix) else { return nil }
        let id = bytes[prefix.count..<prefix.count + idLength]
        guard id.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
              bytes[prefix.count + idLength] == UInt8(ascii: "_") else { return nil }
        let secret = bytes[(prefix.count + idLength + 1)...]
        guard Base64.urlDecode(String(decoding: secret, as: UTF8.self))?.count == 32 else { return nil }
        return Parsed(id: String(decoding: id, as: UTF8.self), secret: String(decoding: secret, as: UTF8.self))
    }

    package static func secretHash(_ secret: String) -> [UInt8] { LibCrypto.digest(.sha256, Array(secret.utf8)) }

    /// Creates and stores a key; the returned plaintext exists nowhere else.
    package static func issue(
        in store: Store, userID: Int64, name: String, scopes: [String], expiresInDays: Int?, now: Int64
    ) throws -> (record: APIKeyRecord, key: String) {
        let (id, secret, key) = generate()
        let record = APIKeyRecord(
            id: id, userID: userID, name: name, secretHash: secretHash(secret), scopes: scopes, createdAt: now,
            expiresAt: expiresInDays.map { now + Int64($0) * 86400 }, lastUsedAt: nil, revokedAt: nil)
        try store.insertAPIKey(record)
        return (record, key)
    }
}
