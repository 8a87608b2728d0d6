import COpenSSL
import Glibc

/// The thin wrapper over OpenSSL's libcrypto for what is not JWS-specific:
/// randomness, digests, HMAC, AES-256-GCM and constant-time comparison.
package enum LibCrypto {
    package enum Digest: Sendable {
        case sha256, sha384, sha512

        var md: OpaquePointer? {
            switch self {
            case .sha256: return Digest.sha256MD
            case .sha384: return Digest.sha384MD
            case .sha512: return Digest.sha512MD
            }
        }

        var name: String {
            switch self {
            case .sha256: return "SHA256"
            case .sha384: return "SHA384"
            case .sha512: return "SHA512"
            }
        }

        // Fetched once, on first use: OpenSSL 3 looks a digest named by openssl.EVP_sha256() up again on
        // every call (locks and a table walk, several times the cost of hashing a short input).
        private nonisolated(unsafe) static let sha256MD = openssl.EVP_MD_fetch(nil, "SHA256", nil)
        private nonisolated(unsafe) static let sha384MD = openssl.EVP_MD_fetch(nil, "SHA384", nil)
        private nonisolated(unsafe) static let sha512MD = openssl.EVP_MD_fetch(nil, "SHA512", nil)

        package var size: Int {
            switch self {
            case .sha256: return 32
            case .sha384: return 48
            case .sha512: return 64
            }
        }
    }

    /// Bytes from the kernel's CSPRNG (glibc's arc4random_buf over getrandom, which aborts
    /// rather than return weak bytes), so that drawing a key does not initialise OpenSSL.
    package static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        if count > 0 { out.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) } }
        return out
    }

    package static func digest(_ digest: Digest, _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard openssl.EVP_Digest(data, data.count, &out, &length, digest.md, nil) == 1 else {
            fatalError("EVP_Digest failed")
        }
        return Array(out.prefix(Int(length)))
    }

    /// One HMAC under a key used once; a key used again and again is an `HMACKey`.
    package static func hmac(_ digest: Digest, key: [UInt8], data: [UInt8]) -> [UInt8] {
        // HMAC pads a key with zeros to the block size, so the empty key is the one zero byte.
        HMACKey(secret: key.isEmpty ? [0] : key, digest: digest)!.mac(data)
    }

    /// HMAC-SHA1: only for HOTP (RFC 4226), whose codes every authenticator app computes with it.
    package static func hmacSHA1(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = key.withUnsafeBufferPointer { k in
            openssl.HMAC(openssl.EVP_sha1(), k.baseAddress ?? UnsafePointer(bitPattern: 1), Int32(k.count), data, data.count, &out, &length)
        }
        guard ok != nil else { fatalError("HMAC failed") }
        return Array(out.prefix(Int(length)))
    }

    static let gcmNonceLength = 12
    static let gcmTagLength = 16

    /// AES-256-GCM under a 32-byte key with a fresh random nonce: nonce ‖ ciphertext ‖ tag.
    /// `associated` is authenticated, not encrypted (what the ciphertext belongs to).
    package static func seal(_ plaintext: [UInt8], key: [UInt8], associated: [UInt8]) -> [UInt8] {
        precondition(key.count == 32, "AES-256 takes a 32-byte key")
        let nonce = randomBytes(gcmNonceLength)
        guard let ctx = openssl.EVP_CIPHER_CTX_new() else { fatalError("EVP_CIPHER_CTX_new failed") }
        defer { openssl.EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        var length: Int32 = 0
        var total = 0
        var tag = [UInt8](repeating: 0, count: gcmTagLength)
        let ok = openssl.EVP_EncryptInit_ex(ctx, openssl.EVP_aes_256_gcm(), nil, key, nonce) == 1
            && (associated.isEmpty || openssl.EVP_EncryptUpdate(ctx, nil, &length, associated, Int32(associated.count)) == 1)
            && out.withUnsafeMutableBufferPointer { buffer in
                guard openssl.EVP_EncryptUpdate(ctx, buffer.baseAddress, &length, plaintext, Int32(plaintext.count)) == 1 else { return false }
                total = Int(length)
                guard openssl.EVP_EncryptFinal_ex(ctx, buffer.baseAddress! + total, &length) == 1 else { return false }
                total += Int(length)
                return true
            }
            && openssl.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(gcmTagLength), &tag) == 1
        guard ok else { fatalError("AES-256-GCM encryption failed") }
        return nonce + out.prefix(total) + tag
    }

    /// The plaintext `seal` was given, or nil when anything (key, nonce, ciphertext, tag,
    /// associated data) differs from what was sealed.
    package static func open(_ sealed: [UInt8], key: [UInt8], associated: [UInt8]) -> [UInt8]? {
        guard key.count == 32, sealed.count >= gcmNonceLength + gcmTagLength else { return nil }
        let nonce = Array(sealed.prefix(gcmNonceLength))
        let body = Array(sealed.dropFirst(gcmNonceLength).dropLast(gcmTagLength))
        var tag = Array(sealed.suffix(gcmTagLength))
        guard let ctx = openssl.EVP_CIPHER_CTX_new() else { return nil }
        defer {
            openssl.EVP_CIPHER_CTX_free(ctx)
            openssl.ERR_clear_error()
        }
        var out = [UInt8](repeating: 0, count: body.count + 16)
        var length: Int32 = 0
        var total = 0
        let ok = openssl.EVP_DecryptInit_ex(ctx, openssl.EVP_aes_256_gcm(), nil, key, nonce) == 1
            && (associated.isEmpty || openssl.EVP_DecryptUpdate(ctx, nil, &length, associated, Int32(associated.count)) == 1)
            && out.withUnsafeMutableBufferPointer { buffer in
                guard openssl.EVP_DecryptUpdate(ctx, buffer.baseAddress, &length, body, Int32(body.count)) == 1 else { return false }
                total = Int(length)
                guard openssl.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(gcmTagLength), &tag) == 1,
                      openssl.EVP_DecryptFinal_ex(ctx, buffer.baseAddress! + total, &length) == 1
                else { return false }
                total += Int(length)
                return true
            }
        return ok ? Array(out.prefix(total)) : nil
    }

    /// Compares in time that depends only on the lengths.
    package static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return openssl.CRYPTO_memcmp(a, b, a.count) == 0
    }

    package static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
