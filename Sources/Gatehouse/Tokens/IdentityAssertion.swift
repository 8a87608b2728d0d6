import FoundationEssentials
import Glibc

/// `identity_assertion = on`: /check also hands the upstream a JWT of who is signed in
/// (`sub`, `uid`, `name`, `email`, `scope`, `roles`, `iss`, `aud`), valid for at most a
/// minute and signed with an Ed25519 key of its own — never the token key, so that what can
/// verify assertions can mint nothing. Its public half is at `/.well-known/jwks.json`.
package struct IdentityAssertion {
    package let key: JWTKey
    let issuer: String
    let audience: String
    let lifetime: Int64

    /// nil when assertions are off; otherwise the key from its file, made (0600) when missing.
    package static func load(config: Config) throws(ConfigError) -> IdentityAssertion? {
        guard config.identityAssertion else { return nil }
        let path = config.identityAssertionKeyPath
        let pkey = try FileManager.default.fileExists(atPath: path) ? read(path) : create(path)
        guard let kid = pkey.thumbprint, let key = try? JWTKey.asymmetric(pkey, algorithm: .EdDSA, kid: kid) else {
            throw ConfigError("identity_assertion_key_file \(path): not an Ed25519 private key")
        }
        return IdentityAssertion(key: key, issuer: config.identityAssertionIssuer, audience: config.identityAssertionAudience,
                                 lifetime: Int64(config.identityAssertionSeconds))
    }

    package func issue(for identity: Identity, now: Int64) -> String {
        let user = identity.user
        let claims: [(String, JSON)] = [
            ("sub", .string(user.username)), ("uid", .int(Int(user.id))), ("name", .optional(user.fullName)),
            ("email", .optional(user.email)), ("scope", .string(identity.scopes.joined(separator: " "))),
            ("roles", .strings(user.roles)), ("iss", .string(issuer)), ("aud", .string(audience)),
            ("iat", .int(Int(now))), ("exp", .int(Int(now + lifetime))),
        ]
        let header: [(String, JSON)] = [("alg", "EdDSA"), ("typ", "JWT"), ("kid", .optional(key.kid))]
        return JWS.sign(header: header, payload: JSON.object(claims).bytes, key: key)
    }

    static func read(_ path: String) throws(ConfigError) -> OpenSSLKey {
        if let exposure = SecretStrength.exposure(of: path) {
            throw ConfigError("identity_assertion_key_file \(path) is a private key: \(exposure)")
        }
        guard let data = FileManager.default.contents(atPath: path), let key = OpenSSLKey.load(pem: Array(data)), key.isPrivate
        else { throw ConfigError("identity_assertion_key_file \(path): not a readable PEM private key") }
        return key
    }

    static func create(_ path: String) throws(ConfigError) -> OpenSSLKey {
        guard let key = OpenSSLKey.generate(.ed25519), let pem = key.privatePEM else {
            throw ConfigError("identity_assertion_key_file \(path): cannot generate an Ed25519 key")
        }
        // Another process starting at the same time uses the key that was linked first.
        guard try SecretFile.createPrivately(path, contents: Array(pem.utf8), setting: "identity_assertion_key_file") else {
            return try read(path)
        }
        return key
    }
}

extension App {
    /// The assertion /check adds for `identity`, when assertions are on.
    func identityAssertion(for identity: Identity) throws -> String? {
        assertion?.issue(for: identity, now: now())
    }

    /// RFC 7517's set: the assertion key and every asymmetric key that verifies tokens.
    var jwks: JSON {
        let keys = ([assertion?.key].compactMap { $0 } + self.keys.verificationKeys).compactMap(\.publicJWK)
        return .object([("keys", .array(keys))])
    }
}
