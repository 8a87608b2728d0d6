/// The algorithm table (RFC 7518 §3 and RFC 8037 §3.1): every algorithm Gatehouse
/// signs or verifies, and what each needs. `none` is deliberately absent.
public enum JWSAlgorithm: String, Sendable, CaseIterable {
    case HS256, HS384, HS512
    case RS256, RS384, RS512
    case PS256, PS384, PS512
    case ES256, ES384
    case EdDSA

    public enum Family: Sendable, Equatable {
        case hmac
        case rsaPKCS1
        case rsaPSS
        /// `width`: bytes of r and of s in the JWS signature.
        case ecdsa(curve: String, width: Int)
        case ed25519
    }

    public var family: Family {
        switch self {
        case .HS256, .HS384, .HS512: return .hmac
        case .RS256, .RS384, .RS512: return .rsaPKCS1
        case .PS256, .PS384, .PS512: return .rsaPSS
        case .ES256: return .ecdsa(curve: "prime256v1", width: 32)
        case .ES384: return .ecdsa(curve: "secp384r1", width: 48)
        case .EdDSA: return .ed25519
        }
    }

    package var digest: LibCrypto.Digest {
        switch self {
        case .HS256, .RS256, .PS256, .ES256: return .sha256
        case .HS384, .RS384, .PS384, .ES384: return .sha384
        case .HS512, .RS512, .PS512, .EdDSA: return .sha512
        }
    }

    /// The digest name for EVP_DigestSignInit_ex; nil for pure EdDSA.
    var digestName: String? {
        if self == .EdDSA { return nil }
        switch digest {
        case .sha256: return "SHA256"
        case .sha384: return "SHA384"
        case .sha512: return "SHA512"
        }
    }

    var padding: OpenSSLKey.Padding {
        switch family {
        case .rsaPKCS1: return .pkcs1
        case .rsaPSS: return .pss
        default: return .none
        }
    }

    /// Whether an OpenSSL key of this kind may be used with this algorithm.
    func fits(_ kind: OpenSSLKey.Kind) -> Bool {
        switch (family, kind) {
        case (.rsaPKCS1, .rsa(let bits)), (.rsaPSS, .rsa(let bits)): return bits >= 2048  // RFC 7518 §3.3
        case (.ecdsa(let curve, _), .ec(let actual)): return curve == actual || Self.curveAliases[actual] == curve
        case (.ed25519, .ed25519): return true
        default: return false
        }
    }

    private static let curveAliases = ["P-256": "prime256v1", "P-384": "secp384r1"]
}
