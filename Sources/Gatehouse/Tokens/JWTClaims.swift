/// Registered-claim checks (RFC 7519 §4.1) with PyJWT's rules and order:
/// iat, nbf, exp, iss, aud, sub, jti. Unlike PyJWT, `exp` is required and may lie at most
/// `maxLifetime` ahead: a token that never expires cannot be taken back. Other claims that
/// are absent are not checked, except `iss` and `aud` when an issuer or audience is configured.
public struct JWTClaims: Sendable {
    /// Seconds of clock skew forgiven on exp, nbf and iat.
    public var leeway: Int64
    public var audience: String?
    public var issuer: String?
    /// Seconds; nil accepts tokens without `exp` and any lifetime (PyJWT's rules).
    public var maxLifetime: Int64?

    public static let defaultMaxLifetime: Int64 = 86400

    public init(leeway: Int64 = 0, audience: String? = nil, issuer: String? = nil,
                maxLifetime: Int64? = JWTClaims.defaultMaxLifetime) {
        self.leeway = leeway
        self.audience = audience
        self.issuer = issuer
        self.maxLifetime = maxLifetime
    }

    public func validate(_ claims: [(String, JSON)], now: Int64) throws(JWTError) {
        let payload = JSON.object(claims)
        if let iat = payload["iat"] {
            guard let t = Self.seconds(iat) else { throw .invalidClaim("iat") }
            if t > now &+ leeway { throw .issuedInFuture }
        }
        if let nbf = payload["nbf"] {
            guard let t = Self.seconds(nbf) else { throw .invalidClaim("nbf") }
            if t > now &+ leeway { throw .immature }
        }
        if let exp = payload["exp"] {
            guard let t = Self.seconds(exp) else { throw .invalidClaim("exp") }
            if t <= now &- leeway { throw .expired }
            if let maxLifetime, t > now &+ maxLifetime &+ leeway { throw .lifetimeTooLong }
        } else if maxLifetime != nil {
            throw .missingClaim("exp")
        }
        if let issuer {
            guard let iss = payload["iss"] else { throw .missingClaim("iss") }
            guard iss.stringValue == issuer else { throw .invalidIssuer }
        }
        try checkAudience(payload["aud"])
        if let sub = payload["sub"], sub.stringValue == nil { throw .invalidClaim("sub") }
        if let jti = payload["jti"], jti.stringValue == nil { throw .invalidClaim("jti") }
    }

    private func checkAudience(_ aud: JSON?) throws(JWTError) {
        guard let audience else {
            // PyJWT: a token meant for some audience is not for a verifier that names none.
            if let aud, Self.isTruthy(aud) { throw .invalidAudience }
            return
        }
        guard let aud, Self.isTruthy(aud) else { throw .missingClaim("aud") }
        let names: [JSON]
        switch aud {
        case .string: names = [aud]
        case .array(let items): names = items
        default: throw .invalidAudience
        }
        guard names.allSatisfy({ $0.stringValue != nil }), names.contains(.string(audience)) else {
            throw .invalidAudience
        }
    }

    /// A NumericDate as PyJWT reads it: a JSON number, truncated toward zero like Python's int().
    /// Booleans and numeric strings, which int() would also take, are refused.
    static func seconds(_ value: JSON) -> Int64? {
        switch value {
        case .int(let n): return Int64(n)
        case .double(let d): return d.isFinite ? Int64(exactly: d.rounded(.towardZero)) : nil
        default: return nil
        }
    }

    /// Python truthiness, which PyJWT uses to decide whether `aud` is present.
    static func isTruthy(_ value: JSON) -> Bool {
        switch value {
        case .null: return false
        case .bool(let b): return b
        case .int(let n): return n != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        }
    }
}
