/// The addresses Gatehouse accepts for an account and mails to: ASCII only (RFC 5321's
/// dot-atom local part, a host name of letters, digits and hyphens), so that no two
/// differ by Unicode form, none carries CR, LF or anything else a mail header must not,
/// and case alone never makes a second account.
public enum EmailAddress {
    public static let maxLength = 254

    /// The pattern the API's models declare (pydantic's 422 names it); `isValid` also checks lengths and dots.
    static let pattern = "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9-]{1,63}(\\.[A-Za-z0-9-]{1,63})+$"

    public static func isValid(_ address: String) -> Bool {
        let bytes = Array(address.utf8)
        guard bytes.count <= maxLength, let at = bytes.firstIndex(of: UInt8(ascii: "@")),
              bytes.lastIndex(of: UInt8(ascii: "@")) == at else { return false }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard (1...64).contains(local.count), local.allSatisfy(isAtomByte) else { return false }
        guard local.first != dot, local.last != dot, !zip(local, local.dropFirst()).contains(where: { $0 == dot && $1 == dot })
        else { return false }
        let labels = domain.split(separator: dot, omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != hyphen && label.last != hyphen
                && label.allSatisfy { isAlphanumeric($0) || $0 == hyphen }
        }
    }

    private static let dot = UInt8(ascii: ".")
    private static let hyphen = UInt8(ascii: "-")

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
    }

    private static func isAtomByte(_ b: UInt8) -> Bool {
        isAlphanumeric(b) || "!#$%&'*+/=?^_`{|}~.-".utf8.contains(b)
    }
}
