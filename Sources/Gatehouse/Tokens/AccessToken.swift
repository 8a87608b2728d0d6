/// An access token as `/token` issues it, read back from verified claims. `sub` stays the
/// username (tutorial005's clients read it); the account is named by its id (`uid`, never
/// reused), and `cv` is the account's credential version when the token was issued, so
/// a new password, disabling, or the loss of a scope or role ends every earlier token. `sid`
/// names the session the token belongs to, which ends it when it ends; `jti` is its own id.
package struct AccessToken: Sendable, Equatable {
    package let userID: Int64
    package let username: String
    package let scopes: [String]
    package let issuedAt: Int64
    package let expiresAt: Int64
    package let credentialVersion: Int64
    package let sessionID: String

    /// nil when a claim is missing or of the wrong type.
    package init?(claims: [(String, JSON)]) {
        func claim(_ name: String) -> JSON? { claims.last { $0.0 == name }?.1 }
        guard let sub = claim("sub")?.stringValue, let uid = claim("uid")?.intValue,
              let iat = claim("iat").flatMap(JWTClaims.seconds), let exp = claim("exp").flatMap(JWTClaims.seconds),
              let cv = claim("cv")?.intValue, let sid = claim("sid")?.stringValue, claim("jti")?.stringValue != nil
        else { return nil }
        let scopeText = claim("scope") ?? .string("")
        guard let scopeText = scopeText.stringValue else { return nil }
        userID = Int64(uid)
        username = sub
        scopes = scopeText.split(separator: " ").map(String.init)
        issuedAt = iat
        expiresAt = exp
        credentialVersion = Int64(cv)
        sessionID = sid
    }

    /// The claims of a token for `user`, in tutorial005's order where it has them.
    package static func claims(for user: User, session: String, scopes: [String], now: Int64, lifetime: Int64,
                              issuer: String?, audience: String?) -> [(String, JSON)] {
        var claims: [(String, JSON)] = [
            ("sub", .string(user.username)), ("scope", .string(scopes.joined(separator: " "))),
            ("exp", .int(Int(now + lifetime))), ("iat", .int(Int(now))), ("uid", .int(Int(user.id))),
            ("cv", .int(Int(user.credentialVersion))), ("sid", .string(session)),
            ("jti", .string(Base64.urlEncode(LibCrypto.randomBytes(12)))),
        ]
        if let issuer { claims.append(("iss", .string(issuer))) }
        if let audience { claims.append(("aud", .string(audience))) }
        return claims
    }

    /// Whether this token still speaks for `user`: the same account (not one re-created under
    /// the name since), issued after it was created, and nothing since has ended its tokens.
    package func isCurrent(for user: User) -> Bool {
        user.id == userID && user.username == username && issuedAt >= user.createdAt
            && credentialVersion == user.credentialVersion
    }
}
