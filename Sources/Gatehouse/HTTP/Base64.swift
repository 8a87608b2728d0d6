/// Base64 (RFC 4648 §4) and base64url (§5), strict: a decoder rejects characters
/// outside the alphabet, wrong padding and non-zero trailing bits.
package enum Base64 {
    static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let url = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    // Built once: decoding is on the token-verification hot path.
    static let standardTable = decodingTable(standard)
    static let urlTable = decodingTable(url)

    static func decodingTable(_ alphabet: [UInt8]) -> [UInt8] {
        var table = [UInt8](repeating: 255, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }

    package static func encode(_ bytes: [UInt8]) -> String { encode(bytes, alphabet: standard, pad: true) }
    /// base64url without padding, as JWS uses it.
    package static func urlEncode(_ bytes: [UInt8]) -> String { encode(bytes, alphabet: url, pad: false) }

    /// Standard alphabet; padding required (what Python's `b64decode(validate=True)` accepts).
    package static func decode(_ text: String) -> [UInt8]? { decode(Array(text.utf8), alphabet: standard, padded: true) }
    /// base64url with no padding, as JWS requires.
    package static func urlDecode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        decode(Array(text.utf8), alphabet: url, padded: false)
    }

    static func encode(_ bytes: [UInt8], alphabet: [UInt8], pad: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)]]
            if pad { out += [61, 61] }
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
            if pad { out.append(61) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ input: [UInt8], alphabet: [UInt8], padded: Bool) -> [UInt8]? {
        let table = alphabet == url ? urlTable : alphabet == standard ? standardTable : decodingTable(alphabet)
        var chars = input[...]
        if padded {
            guard input.count % 4 == 0 else { return nil }
            var pads = 0
            while pads < 2, chars.last == 61 { chars = chars.dropLast(); pads += 1 }
        } else if input.count % 4 == 1 {
            return nil
        }
        var out = [UInt8]()
        out.reserveCapacity(chars.count * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        for c in chars {
            let v = table[Int(c)]
            guard v != 255 else { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero, so that each byte string has exactly one encoding.
        if bits > 0, acc & ((1 << UInt32(bits)) - 1) != 0 { return nil }
        if chars.count % 4 == 1 { return nil }
        return out
    }
}
