/// Why a token was refused. The HTTP layer answers every case with the same 401;
/// the cases exist for logs and tests. No message carries key material.
public enum JWTError: Error, Equatable, Sendable {
    /// Longer than `maxTokenLength`; refused before any decoding.
    case tooLong
    /// Not three base64url segments holding a JSON object header and payload.
    case malformed(String)
    /// `alg` names nothing in the algorithm table (including `none`).
    case unsupportedAlgorithm
    /// `alg` is known but is not the algorithm of the key that was selected.
    case algorithmNotAllowed
    /// The header's `kid` names no configured key.
    case unknownKey
    case invalidSignature
    /// `exp <= now - leeway`
    case expired
    /// `nbf > now + leeway`
    case immature
    /// `iat > now + leeway`
    case issuedInFuture
    /// `exp` lies further ahead than the longest lifetime a token may have.
    case lifetimeTooLong
    case invalidAudience
    case invalidIssuer
    /// A registered claim with the wrong type (its name).
    case invalidClaim(String)
    /// A claim that the configuration requires is absent (its name).
    case missingClaim(String)
    /// The header has `crit`: no extension is supported.
    case unsupportedCritical
}

/// Why a key could not be made. Raised while loading configuration, never per request.
public enum JWTKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptySecret
    case secretTooShort(minimum: Int)
    /// PyJWT's `is_pem_format`/`is_ssh_key`: such a "secret" is someone's public key.
    case secretLooksLikeAsymmetricKey
    case unreadablePEM
    case wrongKeyType(algorithm: String)
    case notAPrivateKey
    case duplicateKeyID(String)

    public var description: String {
        switch self {
        case .emptySecret: return "the HMAC secret is empty"
        case .secretTooShort(let minimum): return "the HMAC secret must be at least \(minimum) bytes for this algorithm"
        case .secretLooksLikeAsymmetricKey:
            return "the HMAC secret looks like a PEM or SSH key; use a random secret, not a public key"
        case .unreadablePEM: return "not a readable unencrypted PEM private or public key"
        case .wrongKeyType(let algorithm): return "the key's type does not fit \(algorithm)"
        case .notAPrivateKey: return "signing needs a private key"
        case .duplicateKeyID(let kid): return "key id '\(kid)' is used by more than one key"
        }
    }
}
