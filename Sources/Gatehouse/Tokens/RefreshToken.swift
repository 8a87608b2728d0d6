/// Refresh tokens as handed out: `ghr_` and 32 random bytes in base64url. Only SHA-256 of
/// the whole token is stored. Each token's successor is derived from it under its session's
/// key, so a client that retries a refresh whose answer it lost gets the same successor
/// back, and nobody without that key can compute it from a stolen, spent token.
package enum RefreshToken {
    package static let prefix = "ghr_"
    static let secretLength = 43

    package static func generate() -> String { prefix + Base64.urlEncode(LibCrypto.randomBytes(32)) }

    /// Whether `text` has a refresh token's shape (nothing is looked up).
    package static func isWellFormed(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == prefix.utf8.count + secretLength, text.hasPrefix(prefix) else { return false }
        return Base64.urlDecode(String(decoding: bytes.dropFirst(prefix.utf8.count), as: UTF8.self))?.count == 32
    }

    package static func hash(_ token: String) -> [UInt8] { LibCrypto.digest(.sha256, Array(token.utf8)) }

    package static func successor(of token: String, key: [UInt8]) -> String {
        prefix + Base64.urlEncode(LibCrypto.hmac(.sha256, key: key, data: Array(token.utf8)))
    }
}
