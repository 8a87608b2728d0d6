/// JWS compact serialization (RFC 7515 §7.1): signatures only. What the payload means
/// is JWTClaims' business.
package enum JWS {
    /// `BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature)`.
    /// The header is written as given, in order; its `alg` must be the key's.
    package static func sign(header: [(String, JSON)], payload: [UInt8], key: JWTKey) -> String {
        precondition(JSON.object(header)["alg"] == .string(key.algorithm.rawValue), "header alg must be the key's")
        return compact(headerSegment: Array(Base64.urlEncode(JSON.object(header).bytes).utf8), payload: payload, key: key)
    }

    /// The compact form over an already encoded header (a key set encodes its header once).
    static func compact(headerSegment: [UInt8], payload: [UInt8], key: JWTKey) -> String {
        var input = headerSegment
        input.append(UInt8(ascii: "."))
        input += Base64.urlEncode(payload).utf8
        let signature = Self.signature(over: input, key: key)
        input.append(UInt8(ascii: "."))
        input += Base64.urlEncode(signature).utf8
        return String(decoding: input, as: UTF8.self)
    }

    /// The JWS Signature over a signing input (RFC 7515 §5.1 step 5). ECDSA comes out as r||s.
    package static func signature(over signingInput: [UInt8], key: JWTKey) -> [UInt8] {
        let algorithm = key.algorithm
        switch key.material {
        case .hmac(let hmac):
            return hmac.mac(signingInput)
        case .asymmetric(let pkey):
            guard let signature = signingInput.withUnsafeBytes({
                pkey.sign(digest: algorithm.digestName, padding: algorithm.padding, message: $0)
            }) else {
                preconditionFailure("\(algorithm.rawValue) signing failed (is the key private?)")
            }
            guard case .ecdsa(_, let width) = algorithm.family else { return signature }
            guard let raw = OpenSSLKey.ecdsaRawFromDER(signature, width: width) else {
                preconditionFailure("OpenSSL returned an unreadable ECDSA signature")
            }
            return raw
        }
    }

    package static func isValid(signature: [UInt8], over signingInput: UnsafeRawBufferPointer, key: JWTKey) -> Bool {
        let algorithm = key.algorithm
        switch key.material {
        case .hmac(let hmac):
            return signature.withUnsafeBytes { hmac.isValid($0, for: signingInput) }
        case .asymmetric(let pkey):
            var signature = signature
            if case .ecdsa(_, let width) = algorithm.family {
                // A JWS ECDSA signature is exactly r||s; DER or other lengths are forgeries or bugs.
                guard let der = OpenSSLKey.ecdsaDERFromRaw(signature, width: width) else { return false }
                signature = der
            }
            return pkey.verify(digest: algorithm.digestName, padding: algorithm.padding,
                               message: signingInput, signature: signature)
        }
    }

    /// A token whose signature checked out with `key`.
    package struct Verified {
        package let header: [(String, JSON)]
        package let payload: [UInt8]
        package let key: JWTKey
    }

    /// Checks a compact JWS: length, shape, header, then the signature with the key that
    /// `selectKey` returns for the header's `kid` (nil when the header has none). The
    /// token's `alg` must equal that key's algorithm.
    package static func verify(_ token: String, maxLength: Int = 8192, selectKey: (String?) -> JWTKey?)
        throws(JWTError) -> Verified
    {
        guard token.utf8.count <= maxLength else { throw .tooLong }
        let bytes = Array(token.utf8)
        guard let firstDot = bytes.firstIndex(of: UInt8(ascii: ".")),
              let secondDot = bytes[(firstDot + 1)...].firstIndex(of: UInt8(ascii: "."))
        else { throw .malformed("Not enough segments") }
        guard !bytes[(secondDot + 1)...].contains(UInt8(ascii: ".")) else { throw .malformed("Too many segments") }

        guard let headerBytes = Base64.decode(Array(bytes[..<firstDot]), alphabet: Base64.url, padded: false) else {
            throw .malformed("Invalid header padding")
        }
        let header = try parseObject(headerBytes, what: "header")
        let json = JSON.object(header)
        if json["crit"] != nil { throw .unsupportedCritical }
        if json["b64"] == .bool(false) { throw .malformed("Unencoded payload (b64: false) is not supported") }
        guard let algName = json["alg"]?.stringValue else { throw .malformed("Algorithm not specified") }
        guard let algorithm = JWSAlgorithm(rawValue: algName) else { throw .unsupportedAlgorithm }
        var kid: String? = nil
        if let kidValue = json["kid"] {
            guard let s = kidValue.stringValue else { throw .malformed("Key ID header parameter must be a string") }
            kid = s
        }

        guard let payload = Base64.decode(Array(bytes[(firstDot + 1)..<secondDot]), alphabet: Base64.url, padded: false)
        else { throw .malformed("Invalid payload padding") }
        guard let signature = Base64.decode(Array(bytes[(secondDot + 1)...]), alphabet: Base64.url, padded: false)
        else { throw .malformed("Invalid crypto padding") }

        guard let key = selectKey(kid) else { throw .unknownKey }
        guard key.algorithm == algorithm else { throw .algorithmNotAllowed }
        let valid = bytes.withUnsafeBytes { all in
            isValid(signature: signature, over: UnsafeRawBufferPointer(rebasing: all[..<secondDot]), key: key)
        }
        guard valid else { throw .invalidSignature }
        return Verified(header: header, payload: payload, key: key)
    }

    /// Verifies with one key, whatever `kid` the header names.
    package static func verify(_ token: String, key: JWTKey, maxLength: Int = 8192) throws(JWTError) -> Verified {
        try verify(token, maxLength: maxLength) { _ in key }
    }

    /// A JSON object with unique member names (RFC 7515 §5.2 allows rejecting duplicates; we do,
    /// so that no two readers of the same token can disagree on a claim).
    static func parseObject(_ bytes: [UInt8], what: String) throws(JWTError) -> [(String, JSON)] {
        let value: JSON
        do { value = try JSON.parse(bytes) } catch { throw .malformed("Invalid \(what) string: \(error.message)") }
        guard let members = value.objectValue else { throw .malformed("Invalid \(what) string: must be a json object") }
        if hasDuplicateNames(members) { throw .malformed("Duplicate \(what) member") }
        return members
    }

    private static func hasDuplicateNames(_ members: [(String, JSON)]) -> Bool {
        // Tokens hold a handful of members: comparing pairs beats hashing into a Set.
        if members.count <= 16 {
            for i in members.indices.dropFirst() where members[..<i].contains(where: { $0.0 == members[i].0 }) {
                return true
            }
            return false
        }
        var seen = Set<String>(minimumCapacity: members.count)
        return members.contains { !seen.insert($0.0).inserted }
    }
}
