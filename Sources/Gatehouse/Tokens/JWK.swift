import COpenSSL

/// Public keys as RFC 7517 JSON Web Keys, with RFC 7638 thumbprints for their ids.
extension OpenSSLKey {
    /// The members that make up the public key, in RFC 7638's lexicographic order; nil for
    /// a key type JWK has no form for here.
    package var publicJWKMembers: [(String, JSON)]? {
        defer { openssl.ERR_clear_error() }
        switch kind {
        case .ed25519:
            var length = 0
            guard openssl.EVP_PKEY_get_raw_public_key(pkey, nil, &length) == 1 else { return nil }
            var raw = [UInt8](repeating: 0, count: length)
            guard openssl.EVP_PKEY_get_raw_public_key(pkey, &raw, &length) == 1 else { return nil }
            return [("crv", "Ed25519"), ("kty", "OKP"), ("x", .string(Base64.urlEncode(raw)))]
        case .ec(let curve):
            let (name, width) = curve == "prime256v1" || curve == "P-256" ? ("P-256", 32) : ("P-384", 48)
            guard let x = number("qx", width: width), let y = number("qy", width: width) else { return nil }
            return [("crv", .string(name)), ("kty", "EC"), ("x", .string(Base64.urlEncode(x))), ("y", .string(Base64.urlEncode(y)))]
        case .rsa:
            guard let e = number("e"), let n = number("n") else { return nil }
            return [("e", .string(Base64.urlEncode(e))), ("kty", "RSA"), ("n", .string(Base64.urlEncode(n)))]
        case .other:
            return nil
        }
    }

    /// RFC 7638: SHA-256 of the required members, in order, without white space.
    package var thumbprint: String? {
        publicJWKMembers.map { Base64.urlEncode(LibCrypto.digest(.sha256, JSON.object($0).bytes)) }
    }

    /// A big-endian number parameter, left-padded to `width` bytes when given.
    private func number(_ name: String, width: Int = 0) -> [UInt8]? {
        var bn: OpaquePointer? = nil
        guard openssl.EVP_PKEY_get_bn_param(pkey, name, &bn) == 1, let bn else { return nil }
        defer { openssl.BN_free(bn) }
        let size = max(width, Int((openssl.BN_num_bits(bn) + 7) / 8))
        var out = [UInt8](repeating: 0, count: size)
        guard openssl.BN_bn2binpad(bn, &out, Int32(size)) == Int32(size) else { return nil }
        return out
    }
}

extension JWTKey {
    /// The public JWK of an asymmetric key, with its `kid`, `alg` and `use`; nil for HMAC.
    package var publicJWK: JSON? {
        guard case .asymmetric(let key) = material, let members = key.publicJWKMembers else { return nil }
        var jwk = members
        if let kid { jwk.append(("kid", .string(kid))) }
        jwk += [("alg", .string(algorithm.rawValue)), ("use", "sig")]
        return .object(jwk)
    }
}
