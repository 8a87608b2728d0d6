/// What a new password must satisfy. Checked when a password is set, never at login.
public struct PasswordPolicy: Sendable {
    public var minLength: Int
    /// Longer passwords only cost hashing time; nobody types more.
    public static let maxBytes = 1024

    public init(minLength: Int) { self.minLength = minLength }

    public func check(_ password: String) throws(PasswordPolicyError) {
        if password.isEmpty { throw .empty }
        if password.utf8.contains(0) { throw .containsNUL }
        if password.utf8.count > PasswordPolicy.maxBytes { throw .tooLong(maxBytes: PasswordPolicy.maxBytes) }
        if password.count < minLength { throw .tooShort(minLength: minLength) }
    }
}

public enum PasswordPolicyError: Error, Equatable, CustomStringConvertible, Sendable {
    case empty
    case tooShort(minLength: Int)
    case tooLong(maxBytes: Int)
    case containsNUL

    public var description: String {
        switch self {
        case .empty: return "the password is empty"
        case let .tooShort(n): return "the password is too short: at least \(n) characters are required"
        case let .tooLong(n): return "the password is too long: at most \(n) bytes are allowed"
        case .containsNUL: return "the password contains a NUL character"
        }
    }
}
