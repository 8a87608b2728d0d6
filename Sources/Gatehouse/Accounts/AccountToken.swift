/// The tokens that mail out: a purpose prefix and 32 bytes in base64url, the bytes being
/// HMAC-SHA256 of a random nonce under the account-token key. The store keeps only SHA-256 of
/// the token; a message waiting in the outbox keeps the nonce, from which only the key's
/// holder (the master, delivering) derives the token again, and that nonce goes once it is sent.
package enum AccountToken {
    static let secretLength = 43

    package static func prefix(_ purpose: AccountTokenPurpose) -> String {
        switch purpose {
        case .verify: return "ghv_"
        case .reset: return "ghpw_"
        case .invite: return "ghi_"
        }
    }

    package static func newNonce() -> [UInt8] { LibCrypto.randomBytes(32) }

    package static func derive(_ purpose: AccountTokenPurpose, nonce: [UInt8], key: [UInt8]) -> String {
        prefix(purpose) + Base64.urlEncode(LibCrypto.hmac(.sha256, key: key, data: Array(purpose.rawValue.utf8) + nonce))
    }

    /// Whether `text` has the shape of a token of that purpose (nothing is looked up): a
    /// truncated, padded or other-purpose token is refused before the store is asked.
    package static func isWellFormed(_ text: String, _ purpose: AccountTokenPurpose) -> Bool {
        let prefix = prefix(purpose)
        let bytes = Array(text.utf8)
        guard bytes.count == prefix.utf8.count + secretLength, text.hasPrefix(prefix) else { return false }
        return Base64.urlDecode(String(decoding: bytes.dropFirst(prefix.utf8.count), as: UTF8.self))?.count == 32
    }

    package static func hash(_ token: String) -> [UInt8] { LibCrypto.digest(.sha256, Array(token.utf8)) }

    /// The key file (0600, 32 random bytes as hex), created when missing.
    package static func loadKey(config: Config) throws(ConfigError) -> [UInt8] {
        try SecretFile.loadOrCreate(path: config.accountTokenKeyPath)
    }
}
