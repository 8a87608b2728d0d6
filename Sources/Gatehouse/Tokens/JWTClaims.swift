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

    /// The time claims of a token, read once: all that can change whether a token that was
    /// valid still is.
    public struct Times: Sendable, Equatable {
        public var issuedAt: Int64?
        public var notBefore: Int64?
        public var expires: Int64?

        /// nil when one of them is there but is no NumericDate.
        public init?(_ claims: [(String, JSON)]) {
            func time(_ name: String) -> Int64?? {
                guard let value = claims.last(where: { $0.0 == name })?.1 else { return .some(nil) }
                return JWTClaims.seconds(value).map { .some($0) } ?? nil
            }
            guard let iat = time("iat") else { return nil }
            guard let nbf = time("nbf") else { return nil }
            guard let exp = time("exp") else { return nil }
            (issuedAt, notBefore, expires) = (iat, nbf, exp)
        }
    }

    public func validate(_ claims: [(String, JSON)], now: Int64) throws(JWTError) {
        let payload = JSON.object(claims)
        if let iat = payload["iat"] {
            guard let t = Self.seconds(iat) else { throw .invalidClaim("iat") }
            try checkIssuedAt(t, now: now)
        }
        if let nbf = payload["nbf"] {
            guard let t = Self.seconds(nbf) else { throw .invalidClaim("nbf") }
            try checkNotBefore(t, now: now)
        }
        if let exp = payload["exp"] {
            guard let t = Self.seconds(exp) else { throw .invalidClaim("exp") }
            try checkExpires(t, now: now)
        } else {
            try checkExpires(nil, now: now)
        }
        if let issuer {
            guard let iss = payload["iss"] else { throw .missingClaim("iss") }
            guard iss.stringValue == issuer else { throw .invalidIssuer }
        }
        try checkAudience(payload["aud"])
        if let sub = payload["sub"], sub.stringValue == nil { throw .invalidClaim("sub") }
        if let jti = payload["jti"], jti.stringValue == nil { throw .invalidClaim("jti") }
    }

    /// The checks whose outcome moves with the clock, in the same order: iat, nbf, exp.
    public func validate(_ times: Times, now: Int64) throws(JWTError) {
        if let t = times.issuedAt { try checkIssuedAt(t, now: now) }
        if let t = times.notBefore { try checkNotBefore(t, now: now) }
        try checkExpires(times.expires, now: now)
    }

    private func checkIssuedAt(_ t: Int64, now: Int64) throws(JWTError) {
        if t > now &+ leeway { throw .issuedInFuture }
    }

    private func checkNotBefore(_ t: Int64, now: Int64) throws(JWTError) {
        if t > now &+ leeway { throw .immature }
    }

    private func checkExpires(_ t: Int64?, now: Int64) throws(JWTError) {
        guard let t else {
            if maxLifetime != nil { throw .missingClaim("exp") }
            return
        }
        if t <= now &- leeway { throw .expired }
        if let maxLifetime, t > now &+ maxLifetime &+ leeway { throw .lifetimeTooLong }
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
