import COpenSSL
import Glibc
import Synchronization

/// The one place where JWS touches OpenSSL's EVP APIs: an asymmetric key (RSA, EC,
/// Ed25519) held as an EVP_PKEY, and a pre-keyed HMAC. Every object allocated here
/// is freed here.
public final class OpenSSLKey {
    // EVP_PKEY is reference-counted and safe to share between threads for signing and verifying.
    let pkey: OpaquePointer
    /// Whether the private half is present (loaded from a private-key PEM or generated).
    public let isPrivate: Bool

    private init(pkey: OpaquePointer, isPrivate: Bool) {
        self.pkey = pkey
        self.isPrivate = isPrivate
    }

    deinit { openssl.EVP_PKEY_free(pkey) }

    public enum Kind: Equatable, Sendable {
        case rsa(bits: Int)
        case ec(curve: String)
        case ed25519
        case other(String)
    }

    public var kind: Kind {
        if openssl.EVP_PKEY_is_a(pkey, "RSA") == 1 { return .rsa(bits: Int(openssl.EVP_PKEY_get_bits(pkey))) }
        if openssl.EVP_PKEY_is_a(pkey, "EC") == 1 {
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard openssl.EVP_PKEY_get_group_name(pkey, &name, name.count, &length) == 1 else { return .other("EC") }
            return .ec(curve: String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        if openssl.EVP_PKEY_is_a(pkey, "ED25519") == 1 { return .ed25519 }
        return .other(openssl.EVP_PKEY_get0_type_name(pkey).map { String(cString: $0) } ?? "unknown")
    }

    /// Reads a PEM private key (PKCS#8 or traditional) or, failing that, a public key
    /// (SubjectPublicKeyInfo). Encrypted keys are refused rather than prompting for a password.
    public static func load(pem: [UInt8]) -> OpenSSLKey? {
        defer { openssl.ERR_clear_error() }
        if let key = readPEM(pem, privateKey: true) { return OpenSSLKey(pkey: key, isPrivate: true) }
        if let key = readPEM(pem, privateKey: false) { return OpenSSLKey(pkey: key, isPrivate: false) }
        return nil
    }

    private static func readPEM(_ pem: [UInt8], privateKey: Bool) -> OpaquePointer? {
        guard !pem.isEmpty, pem.count < Int(Int32.max) else { return nil }
        return pem.withUnsafeBytes { raw -> OpaquePointer? in
            guard let bio = openssl.BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { _ = openssl.BIO_free(bio) }
            let noPassword: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = { _, _, _, _ in -1 }
            return privateKey ? openssl.PEM_read_bio_PrivateKey(bio, nil, noPassword, nil) : openssl.PEM_read_bio_PUBKEY(bio, nil, noPassword, nil)
        }
    }

    public enum GenerateSpec: Sendable {
        case rsa(bits: Int)
        case ec(curve: String)  // "P-256", "P-384"
        case ed25519
    }

    /// A fresh key pair from OpenSSL's generator.
    public static func generate(_ spec: GenerateSpec) -> OpenSSLKey? {
        defer { openssl.ERR_clear_error() }
        let algorithm: String
        switch spec {
        case .rsa: algorithm = "RSA"
        case .ec: algorithm = "EC"
        case .ed25519: algorithm = "ED25519"
        }
        guard let ctx = openssl.EVP_PKEY_CTX_new_from_name(nil, algorithm, nil) else { return nil }
        defer { openssl.EVP_PKEY_CTX_free(ctx) }
        guard openssl.EVP_PKEY_keygen_init(ctx) == 1 else { return nil }
        switch spec {
        case .rsa(let bits): guard openssl.EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, Int32(bits)) == 1 else { return nil }
        case .ec(let curve): guard openssl.EVP_PKEY_CTX_set_group_name(ctx, curve) == 1 else { return nil }
        case .ed25519: break
        }
        var key: OpaquePointer? = nil
        guard openssl.EVP_PKEY_generate(ctx, &key) == 1, let key else { return nil }
        return OpenSSLKey(pkey: key, isPrivate: true)
    }

    /// An Ed25519 key from its 32-byte seed (RFC 8032's private key).
    public static func ed25519(privateSeed: [UInt8]) -> OpenSSLKey? {
        defer { openssl.ERR_clear_error() }
        guard privateSeed.count == 32,
              let key = openssl.EVP_PKEY_new_raw_private_key_ex(nil, "ED25519", nil, privateSeed, privateSeed.count)
        else { return nil }
        return OpenSSLKey(pkey: key, isPrivate: true)
    }

    /// The SubjectPublicKeyInfo PEM of the public half.
    public var publicPEM: String { writePEM { openssl.PEM_write_bio_PUBKEY($0, pkey) } }

    /// The PKCS#8 PEM of the private key (unencrypted); nil for a public key.
    public var privatePEM: String? {
        guard isPrivate else { return nil }
        return writePEM { openssl.PEM_write_bio_PrivateKey($0, pkey, nil, nil, 0, nil, nil) }
    }

    private func writePEM(_ write: (OpaquePointer) -> Int32) -> String {
        guard let bio = openssl.BIO_new(openssl.BIO_s_mem()) else { fatalError("BIO_new failed") }
        defer { _ = openssl.BIO_free(bio); openssl.ERR_clear_error() }
        guard write(bio) == 1 else { return "" }
        var data: UnsafeMutablePointer<CChar>? = nil
        let length = openssl.BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data)
        guard length > 0, let data else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }

    public enum Padding: Sendable { case none, pkcs1, pss }

    /// Signs with EVP_DigestSign. `digest` nil for Ed25519 (pure EdDSA hashes internally).
    /// ECDSA signatures come back DER-encoded, as OpenSSL makes them.
    func sign(digest: String?, padding: Padding, message: UnsafeRawBufferPointer) -> [UInt8]? {
        defer { openssl.ERR_clear_error() }
        guard isPrivate, let ctx = openssl.EVP_MD_CTX_new() else { return nil }
        defer { openssl.EVP_MD_CTX_free(ctx) }
        var pctx: OpaquePointer? = nil
        guard openssl.EVP_DigestSignInit_ex(ctx, &pctx, digest, nil, nil, pkey, nil) == 1,
              Self.configure(pctx, padding) else { return nil }
        var length = 0
        guard openssl.EVP_DigestSign(ctx, nil, &length, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count) == 1 else { return nil }
        var signature = [UInt8](repeating: 0, count: length)
        guard openssl.EVP_DigestSign(ctx, &signature, &length, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count) == 1 else { return nil }
        signature.removeSubrange(length...)
        return signature
    }

    func verify(digest: String?, padding: Padding, message: UnsafeRawBufferPointer, signature: [UInt8]) -> Bool {
        defer { openssl.ERR_clear_error() }
        guard let ctx = openssl.EVP_MD_CTX_new() else { return false }
        defer { openssl.EVP_MD_CTX_free(ctx) }
        var pctx: OpaquePointer? = nil
        guard openssl.EVP_DigestVerifyInit_ex(ctx, &pctx, digest, nil, nil, pkey, nil) == 1,
              Self.configure(pctx, padding) else { return false }
        return openssl.EVP_DigestVerify(ctx, signature, signature.count, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count) == 1
    }

    private static func configure(_ pctx: OpaquePointer?, _ padding: Padding) -> Bool {
        switch padding {
        case .none: return true
        case .pkcs1: return openssl.EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1
        case .pss:
            // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash.
            return openssl.EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
                && openssl.EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1
        }
    }

    // MARK: ECDSA signature formats: JWS wants r||s of fixed width, OpenSSL speaks DER.

    static func ecdsaRawFromDER(_ der: [UInt8], width: Int) -> [UInt8]? {
        defer { openssl.ERR_clear_error() }
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return openssl.d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        guard let sig = parsed else { return nil }
        defer { openssl.ECDSA_SIG_free(sig) }
        var raw = [UInt8](repeating: 0, count: 2 * width)
        let ok = raw.withUnsafeMutableBufferPointer { out in
            openssl.BN_bn2binpad(openssl.ECDSA_SIG_get0_r(sig), out.baseAddress, Int32(width)) == Int32(width)
                && openssl.BN_bn2binpad(openssl.ECDSA_SIG_get0_s(sig), out.baseAddress! + width, Int32(width)) == Int32(width)
        }
        return ok ? raw : nil
    }

    static func ecdsaDERFromRaw(_ raw: [UInt8], width: Int) -> [UInt8]? {
        defer { openssl.ERR_clear_error() }
        guard raw.count == 2 * width, let sig = openssl.ECDSA_SIG_new() else { return nil }
        defer { openssl.ECDSA_SIG_free(sig) }
        let r = openssl.BN_bin2bn(raw, Int32(width), nil)
        let s = raw.withUnsafeBufferPointer { openssl.BN_bin2bn($0.baseAddress! + width, Int32(width), nil) }
        // ECDSA_SIG_set0 takes ownership of both numbers only when it succeeds.
        guard let r, let s, openssl.ECDSA_SIG_set0(sig, r, s) == 1 else {
            openssl.BN_free(r)
            openssl.BN_free(s)
            return nil
        }
        let length = openssl.i2d_ECDSA_SIG(sig, nil)
        guard length > 0 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return openssl.i2d_ECDSA_SIG(sig, &cursor)
        }
        return written == length ? der : nil
    }
}

/// An HMAC key bound to one hash. The keyed EVP_MAC context is made on the first MAC (so
/// that loading keys does not initialise OpenSSL for requests that verify nothing), and
/// kept: each MAC starts it again from the same key (EVP_MAC_init with no key), so neither the
/// key schedule nor the algorithm fetch nor an allocation is repeated per MAC. A thread that
/// finds it in use works on a copy, so the key can be shared between threads.
public final class HMACKey: @unchecked Sendable {
    private var secret: [UInt8]
    private let contexts = Mutex<Contexts>(Contexts())
    package let digest: LibCrypto.Digest

    /// OpenSSL contexts, only ever touched under the lock.
    private struct Contexts: @unchecked Sendable {
        /// Keyed once, copied when the spare is out.
        var template: OpaquePointer?
        /// A keyed context that no MAC is using.
        var spare: OpaquePointer?
    }

    package init?(secret: [UInt8], digest: LibCrypto.Digest) {
        guard !secret.isEmpty else { return nil }
        self.secret = secret
        self.digest = digest
    }

    deinit {
        contexts.withLock {
            if let ctx = $0.template { openssl.EVP_MAC_CTX_free(ctx) }
            if let ctx = $0.spare { openssl.EVP_MAC_CTX_free(ctx) }
        }
        // glibc's explicit_bzero, which no optimiser removes: a key that never made a MAC (a
        // CGI request's) must not load libcrypto on its way out.
        secret.withUnsafeMutableBytes { if let base = $0.baseAddress { explicit_bzero(base, $0.count) } }
    }

    /// A keyed context for one MAC: the spare, or else a copy of the template.
    private func takeContext() -> OpaquePointer {
        contexts.withLock { held -> OpaquePointer in
            if let spare = held.spare {
                held.spare = nil
                return spare
            }
            if held.template == nil { held.template = Self.keyedContext(secret: secret, digest: digest) }
            guard let template = held.template, let ctx = openssl.EVP_MAC_CTX_dup(template) else { fatalError("HMAC context failed") }
            return ctx
        }
    }

    private func giveBack(_ ctx: OpaquePointer) {
        nonisolated(unsafe) let returned = ctx
        let kept = contexts.withLock { held -> Bool in
            guard held.spare == nil else { return false }
            held.spare = returned
            return true
        }
        if !kept { openssl.EVP_MAC_CTX_free(ctx) }
    }

    private static func keyedContext(secret: [UInt8], digest: LibCrypto.Digest) -> OpaquePointer? {
        defer { openssl.ERR_clear_error() }
        guard let mac = openssl.EVP_MAC_fetch(nil, "HMAC", nil) else { return nil }
        defer { openssl.EVP_MAC_free(mac) }  // the context keeps its own reference
        guard let ctx = openssl.EVP_MAC_CTX_new(mac) else { return nil }
        let name: String
        switch digest {
        case .sha256: name = "SHA256"
        case .sha384: name = "SHA384"
        case .sha512: name = "SHA512"
        }
        // OSSL_PARAM keeps the key pointer: both C strings must outlive EVP_MAC_init (passing the
        // String constant directly left a temporary that was freed before the init read it).
        let ok = OSSL_MAC_PARAM_DIGEST.withCString { cKey in
            name.withCString { cName -> Bool in
                let params = [
                    openssl.OSSL_PARAM_construct_utf8_string(cKey, UnsafeMutablePointer(mutating: cName), 0),
                    openssl.OSSL_PARAM_construct_end(),
                ]
                return openssl.EVP_MAC_init(ctx, secret, secret.count, params) == 1
            }
        }
        guard ok else {
            openssl.EVP_MAC_CTX_free(ctx)
            return nil
        }
        return ctx
    }

    /// The MAC of `message` written into `out`, which must hold `digest.size` bytes.
    func mac(_ message: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        let ctx = takeContext()
        defer { giveBack(ctx) }
        var length = 0
        // No key: start again from the one the context holds.
        guard openssl.EVP_MAC_init(ctx, nil, 0, nil) == 1,
              openssl.EVP_MAC_update(ctx, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count) == 1,
              openssl.EVP_MAC_final(ctx, out.baseAddress?.assumingMemoryBound(to: UInt8.self), &length, out.count) == 1,
              length == digest.size
        else { fatalError("HMAC failed") }
    }

    /// Compares the MAC of `message` with `expected` in constant time, without allocating.
    func isValid(_ expected: UnsafeRawBufferPointer, for message: UnsafeRawBufferPointer) -> Bool {
        guard expected.count == digest.size else { return false }
        return withUnsafeTemporaryAllocation(byteCount: digest.size, alignment: 8) { out in
            mac(message, into: out)
            return openssl.CRYPTO_memcmp(out.baseAddress, expected.baseAddress, digest.size) == 0
        }
    }

    public func mac(_ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: digest.size)
        message.withUnsafeBytes { m in out.withUnsafeMutableBytes { mac(m, into: $0) } }
        return out
    }
}
