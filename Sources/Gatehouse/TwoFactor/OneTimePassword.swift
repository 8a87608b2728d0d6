/// HOTP (RFC 4226) and TOTP (RFC 6238) as authenticator apps compute them: HMAC-SHA1,
/// six digits, 30-second steps from the Unix epoch.
package enum OneTimePassword {
    package static let digits = 6
    package static let stepSeconds: Int64 = 30
    /// Steps either side of now that are accepted (RFC 6238 §5.2's resynchronisation window).
    package static let skewSteps: Int64 = 1

    /// RFC 4226 §5.3: HMAC over the 8-byte big-endian counter, dynamic truncation, mod 10^digits.
    package static func hotp(secret: [UInt8], counter: UInt64, digits: Int = digits) -> String {
        let message = (0..<8).map { UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64($0))) }
        let mac = LibCrypto.hmacSHA1(key: secret, data: message)
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        return String(binary % modulus).leftPadded(to: digits, with: "0")
    }

    /// The time step `time` falls in (RFC 6238's T).
    package static func step(at time: Int64) -> Int64 { time >= 0 ? time / stepSeconds : (time - stepSeconds + 1) / stepSeconds }

    package static func totp(secret: [UInt8], at time: Int64, digits: Int = digits) -> String {
        hotp(secret: secret, counter: UInt64(max(0, step(at: time))), digits: digits)
    }

    /// The step whose code `code` is, within ±`skewSteps` of now and after `after` (the last
    /// step accepted, so that no code is taken twice); nil when none. Every candidate is
    /// compared, in constant time, whatever the code.
    package static func matchingStep(_ code: String, secret: [UInt8], now: Int64, after: Int64?) -> Int64? {
        guard isCodeShaped(code) else { return nil }
        let current = step(at: now)
        var found: Int64?
        for candidate in (current - skewSteps)...(current + skewSteps) where candidate >= 0 {
            let expected = hotp(secret: secret, counter: UInt64(candidate))
            if LibCrypto.constantTimeEquals(Array(expected.utf8), Array(code.utf8)), candidate > (after ?? -1) {
                found = candidate
            }
        }
        return found
    }

    /// Exactly `digits` ASCII digits.
    package static func isCodeShaped(_ text: String) -> Bool {
        text.utf8.count == digits && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// The `otpauth://totp/…` URI (Google Authenticator's Key Uri Format) an app scans.
    package static func provisioningURI(secret: [UInt8], account: String, issuer: String) -> String {
        func escaped(_ s: String) -> String { PercentEncoding.encodePath(s).replacing("/", with: "%2F") }
        return "otpauth://totp/\(escaped(issuer)):\(escaped(account))?secret=\(Base32.encode(secret))&issuer=\(escaped(issuer))"
            + "&algorithm=SHA1&digits=\(digits)&period=\(stepSeconds)"
    }
}

/// RFC 4648 §6 base32, upper case without padding, as otpauth URIs carry TOTP secrets.
package enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    package static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Case-insensitive, padding optional; nil for any other character.
    package static func decode(_ text: String) -> [UInt8]? {
        var out = [UInt8]()
        var buffer: UInt32 = 0
        var bits = 0
        for c in text.utf8 where c != UInt8(ascii: "=") {
            let upper = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) ? c - 32 : c
            guard let value = alphabet.firstIndex(of: upper) else { return nil }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits - 8)))
                bits -= 8
            }
        }
        return out
    }
}
