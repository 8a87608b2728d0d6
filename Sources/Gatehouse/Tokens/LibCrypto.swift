import COpenSSL

/// The thin wrapper over OpenSSL's libcrypto for what is not JWS-specific:
/// randomness, digests, HMAC and constant-time comparison.
package enum LibCrypto {
    package enum Digest: Sendable {
        case sha256, sha384, sha512

        var md: OpaquePointer? {
            switch self {
            case .sha256: return EVP_sha256()
            case .sha384: return EVP_sha384()
            case .sha512: return EVP_sha512()
            }
        }

        package var size: Int {
            switch self {
            case .sha256: return 32
            case .sha384: return 48
            case .sha512: return 64
            }
        }
    }

    /// Bytes from OpenSSL's CSPRNG. A failing CSPRNG is not survivable for an auth server.
    package static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard count == 0 || RAND_bytes(&out, Int32(count)) == 1 else {
            fatalError("RAND_bytes failed: no secure randomness available")
        }
        return out
    }

    package static func digest(_ digest: Digest, _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_Digest(data, data.count, &out, &length, digest.md, nil) == 1 else {
            fatalError("EVP_Digest failed")
        }
        return Array(out.prefix(Int(length)))
    }

    package static func hmac(_ digest: Digest, key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = key.withUnsafeBufferPointer { k in
            HMAC(digest.md, k.baseAddress ?? UnsafePointer(bitPattern: 1), Int32(k.count), data, data.count, &out, &length)
        }
        guard ok != nil else { fatalError("HMAC failed") }
        return Array(out.prefix(Int(length)))
    }

    /// Compares in time that depends only on the lengths.
    package static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return CRYPTO_memcmp(a, b, a.count) == 0
    }

    package static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
