import FoundationEssentials
import Glibc

/// The keys of one Gatehouse: the signing key, the keys that verify, and the claim
/// rules. Built once from `Config`; issuing and verifying then only ever read them.
public final class JWTKeySet {
    public let signingKey: JWTKey
    /// The signing key first, then the extra verification keys.
    public let verificationKeys: [JWTKey]
    public let claims: JWTClaims
    public let maxTokenLength: Int
    private let keysByID: [String: JWTKey]
    private let headerSegment: [UInt8]

    public init(signingKey: JWTKey, verificationKeys: [JWTKey] = [], claims: JWTClaims = JWTClaims(),
                maxTokenLength: Int = 8192) throws(JWTKeyError)
    {
        guard signingKey.canSign else { throw .notAPrivateKey }
        let all = [signingKey] + verificationKeys
        var byID: [String: JWTKey] = [:]
        for key in all {
            guard let kid = key.kid else { continue }
            guard byID.updateValue(key, forKey: kid) == nil else { throw .duplicateKeyID(kid) }
        }
        self.signingKey = signingKey
        self.verificationKeys = all
        self.claims = claims
        self.maxTokenLength = maxTokenLength
        self.keysByID = byID
        var header: [(String, JSON)] = [("alg", .string(signingKey.algorithm.rawValue)), ("typ", "JWT")]
        if let kid = signingKey.kid { header.append(("kid", .string(kid))) }
        self.headerSegment = Array(Base64.urlEncode(JSON.object(header).bytes).utf8)
    }

    /// A signed token with header `{"alg":…,"typ":"JWT"[,"kid":…]}` and the claims in the order given.
    public func issue(claims: [(String, JSON)]) -> String {
        JWS.compact(headerSegment: headerSegment, payload: JSON.object(claims).bytes, key: signingKey)
    }

    /// The claims of a token that is well-formed, signed by one of our keys with that
    /// key's algorithm, and valid at `now` (seconds since the epoch).
    public func verify(_ token: String, now: Int64) throws(JWTError) -> [(String, JSON)] {
        let payload = try signedPayload(token)
        try claims.validate(payload, now: now)
        return payload
    }

    private func signedPayload(_ token: String) throws(JWTError) -> [(String, JSON)] {
        let signed = try JWS.verify(token, maxLength: maxTokenLength) { kid in
            guard let kid else { return signingKey }
            return keysByID[kid]
        }
        return try JWS.parseObject(signed.payload, what: "payload")
    }
}

// MARK: - From configuration

extension JWTKeySet {
    public static func load(config: Config) throws(ConfigError) -> JWTKeySet {
        let algorithm = config.jwtAlgorithm
        let signingKey: JWTKey
        if algorithm.family == .hmac {
            let secret: [UInt8]
            if let configured = config.secretKey {
                secret = Array(configured.utf8)
            } else {
                secret = try SecretFile.loadOrCreate(path: config.secretKeyPath)
            }
            do { signingKey = try JWTKey.hmac(secret: secret, algorithm: algorithm, kid: config.jwtKeyID) } catch {
                throw ConfigError("secret_key: \(error)")
            }
            if config.secretKey == nil, !SecretStrength.isRandomEnough(secret) {
                throw ConfigError("secret file \(config.secretKeyPath): too little randomness; use e.g. `openssl rand -hex 32`")
            }
        } else {
            guard let path = config.jwtPrivateKeyFile else {
                throw ConfigError("jwt_private_key_file: required when jwt_algorithm is \(algorithm.rawValue)")
            }
            signingKey = try pemKey(path: path, algorithm: algorithm, kid: config.jwtKeyID, setting: "jwt_private_key_file")
            guard signingKey.canSign else { throw ConfigError("jwt_private_key_file \(path): not a private key") }
        }

        var verificationKeys: [JWTKey] = []
        for key in config.jwtVerifyKeys {
            if key.algorithm.family == .hmac {
                let secret = try SecretFile.read(path: key.path)
                do { verificationKeys.append(try JWTKey.hmac(secret: secret, algorithm: key.algorithm, kid: key.kid)) } catch {
                    throw ConfigError("jwt_verify_keys \(key.kid): \(error)")
                }
            } else {
                verificationKeys.append(try pemKey(path: key.path, algorithm: key.algorithm, kid: key.kid, setting: "jwt_verify_keys"))
            }
        }

        let claims = JWTClaims(
            leeway: Int64(config.jwtLeeway), audience: config.jwtAudience, issuer: config.jwtIssuer,
            maxLifetime: Int64(config.maxTokenLifetimeMinutes) * 60)
        do {
            return try JWTKeySet(signingKey: signingKey, verificationKeys: verificationKeys, claims: claims,
                                 maxTokenLength: config.maxTokenLength)
        } catch {
            throw ConfigError("jwt keys: \(error)")
        }
    }

    private static func pemKey(path: String, algorithm: JWSAlgorithm, kid: String?, setting: String)
        throws(ConfigError) -> JWTKey
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError("\(setting) \(path): cannot be read")
        }
        guard let key = OpenSSLKey.load(pem: Array(data)) else {
            throw ConfigError("\(setting) \(path): \(JWTKeyError.unreadablePEM)")
        }
        if key.isPrivate, let exposure = SecretStrength.exposure(of: path) {
            throw ConfigError("\(setting) \(path) is a private key: \(exposure)")
        }
        do { return try JWTKey.asymmetric(key, algorithm: algorithm, kid: kid) } catch {
            throw ConfigError("\(setting) \(path): \(error)")
        }
    }
}
