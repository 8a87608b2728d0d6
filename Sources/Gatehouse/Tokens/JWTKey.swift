/// One key with the one algorithm it may be used with (RFC 8725 §3.1: the algorithm
/// comes from the key, never from the token).
public struct JWTKey {
    public enum Material {
        case hmac(HMACKey)
        case asymmetric(OpenSSLKey)
    }

    public let kid: String?
    public let algorithm: JWSAlgorithm
    public let material: Material

    /// An HMAC key. Refuses an empty or short secret (RFC 7518 §3.2: at least the hash
    /// size) and, like PyJWT, a "secret" that is really a PEM or SSH public key.
    public static func hmac(secret: [UInt8], algorithm: JWSAlgorithm = .HS256, kid: String? = nil)
        throws(JWTKeyError) -> JWTKey
    {
        guard algorithm.family == .hmac else { throw .wrongKeyType(algorithm: algorithm.rawValue) }
        guard !secret.isEmpty else { throw .emptySecret }
        if JWTKey.isPEMFormat(secret) || JWTKey.isSSHKey(secret) { throw .secretLooksLikeAsymmetricKey }
        guard secret.count >= algorithm.digest.size else { throw .secretTooShort(minimum: algorithm.digest.size) }
        guard let key = HMACKey(secret: secret, digest: algorithm.digest) else { throw .emptySecret }
        return JWTKey(kid: kid, algorithm: algorithm, material: .hmac(key))
    }

    public static func hmac(secret: String, algorithm: JWSAlgorithm = .HS256, kid: String? = nil)
        throws(JWTKeyError) -> JWTKey
    {
        try hmac(secret: Array(secret.utf8), algorithm: algorithm, kid: kid)
    }

    /// An RSA, EC or Ed25519 key for `algorithm`; its type and size must fit the algorithm.
    public static func asymmetric(_ key: OpenSSLKey, algorithm: JWSAlgorithm, kid: String? = nil)
        throws(JWTKeyError) -> JWTKey
    {
        guard algorithm.family != .hmac, algorithm.fits(key.kind) else {
            throw .wrongKeyType(algorithm: algorithm.rawValue)
        }
        return JWTKey(kid: kid, algorithm: algorithm, material: .asymmetric(key))
    }

    /// From PEM text: a private key (signs and verifies) or a public key (verifies).
    public static func pem(_ pem: String, algorithm: JWSAlgorithm, kid: String? = nil) throws(JWTKeyError) -> JWTKey {
        guard let key = OpenSSLKey.load(pem: Array(pem.utf8)) else { throw .unreadablePEM }
        return try asymmetric(key, algorithm: algorithm, kid: kid)
    }

    /// The same key material and algorithm under another key id.
    public func withKeyID(_ kid: String?) -> JWTKey { JWTKey(kid: kid, algorithm: algorithm, material: material) }

    public var canSign: Bool {
        switch material {
        case .hmac: return true
        case .asymmetric(let key): return key.isPrivate
        }
    }

    /// The SubjectPublicKeyInfo PEM of an asymmetric key (nil for HMAC), to hand to verifiers.
    public var publicPEM: String? {
        guard case .asymmetric(let key) = material else { return nil }
        return key.publicPEM
    }

    // MARK: PyJWT's guards against an asymmetric key used as an HMAC secret

    private static let pemLabels: [[UInt8]] = [
        "CERTIFICATE", "TRUSTED CERTIFICATE", "PRIVATE KEY", "PUBLIC KEY", "ENCRYPTED PRIVATE KEY",
        "OPENSSH PRIVATE KEY", "DSA PRIVATE KEY", "RSA PRIVATE KEY", "RSA PUBLIC KEY", "EC PRIVATE KEY",
        "DH PARAMETERS", "NEW CERTIFICATE REQUEST", "CERTIFICATE REQUEST", "SSH2 PUBLIC KEY",
        "SSH2 ENCRYPTED PRIVATE KEY", "X509 CRL",
    ].map { Array($0.utf8) }

    /// True when a `----[- ]BEGIN LABEL[- ]----` marker is followed later by the matching END marker.
    static func isPEMFormat(_ key: [UInt8]) -> Bool {
        var beginEnds: [Int: Int] = [:]  // label index -> end of its BEGIN marker
        var i = 0
        while i + 4 <= key.count {
            defer { i += 1 }
            guard let (isBegin, label, end) = pemMarker(in: key, at: i) else { continue }
            if isBegin {
                beginEnds[label] = end
            } else if let beginEnd = beginEnds[label], beginEnd < i {
                return true
            }
        }
        return false
    }

    private static func pemMarker(in key: [UInt8], at start: Int) -> (isBegin: Bool, label: Int, end: Int)? {
        func matches(_ literal: [UInt8], at j: Int) -> Bool {
            j + literal.count <= key.count && key[j..<j + literal.count].elementsEqual(literal)
        }
        func isSeparator(_ j: Int) -> Bool { j < key.count && (key[j] == 0x2D || key[j] == 0x20) }
        let dashes = Array("----".utf8)
        guard matches(dashes, at: start), isSeparator(start + 4) else { return nil }
        var j = start + 5
        let isBegin: Bool
        if matches(Array("BEGIN ".utf8), at: j) { isBegin = true; j += 6 }
        else if matches(Array("END ".utf8), at: j) { isBegin = false; j += 4 }
        else { return nil }
        for (index, label) in pemLabels.enumerated()
        where matches(label, at: j) && isSeparator(j + label.count) && matches(dashes, at: j + label.count + 1) {
            return (isBegin, index, j + label.count + 5)
        }
        return nil
    }

    private static let sshKeyPrefixes: [[UInt8]] = [
        "ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    ].map { Array($0.utf8) }

    static func isSSHKey(_ key: [UInt8]) -> Bool {
        sshKeyPrefixes.contains { key.starts(with: $0) }
    }
}
