import Logging

/// Where the server listens: a unix socket path or a TCP host:port (the host may be empty,
/// or an IPv6 address in brackets).
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: UInt16)

    public init?(_ text: String) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard !path.isEmpty else { return nil }
            self = .unix(path: path)
            return
        }
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        self = .tcp(host: String(text[..<colon]), port: port)
    }

    public var description: String {
        switch self {
        case .unix(let path): return "unix:" + path
        case .tcp(let host, let port): return "\(host):\(port)"
        }
    }
}

/// One extra key that verifies tokens (rotation): `kid:ALG:/path/key.pem`.
public struct JWTVerifyKey: Sendable, Equatable, CustomStringConvertible {
    public var kid: String
    public var algorithm: JWSAlgorithm
    public var path: String

    public init(kid: String, algorithm: JWSAlgorithm, path: String) {
        self.kid = kid
        self.algorithm = algorithm
        self.path = path
    }

    public var description: String { "\(kid):\(algorithm.rawValue):\(path)" }
}

/// Why a value does not fit its setting: a phrase such as "expected true or false".
struct ValueError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// How one setting's text becomes its typed value and back, and what it accepts.
struct SettingType<Value>: Sendable {
    /// What the value may be, for the help, the example file and the README: "0 to 256".
    let accepts: String
    let parse: @Sendable (String) throws(ValueError) -> Value
    let format: @Sendable (Value) -> String
}

extension SettingType where Value == Int {
    static func integer(_ range: ClosedRange<Int>) -> SettingType {
        SettingType(accepts: "\(range.lowerBound) to \(range.upperBound)", parse: { text throws(ValueError) in
            guard let n = Int(text), range.contains(n) else {
                throw ValueError("expected an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }, format: { String($0) })
    }
}

extension SettingType where Value == Bool {
    static let boolean = SettingType(accepts: "true or false", parse: { text throws(ValueError) in
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ValueError("expected true or false")
        }
    }, format: { $0 ? "true" : "false" })
}

extension SettingType where Value == UInt32 {
    static let octalMode = SettingType(accepts: "octal 0000 to 0777", parse: { text throws(ValueError) in
        guard let mode = UInt32(text, radix: 8), mode <= 0o777 else { throw ValueError("expected an octal mode such as 0660") }
        return mode
    }, format: { "0" + String($0, radix: 8) })
}

extension SettingType where Value == String {
    /// Any text that passes `isValid`; `expected` says what it must be.
    static func text(_ accepts: String, expected: String? = nil, _ isValid: @escaping @Sendable (String) -> Bool) -> SettingType {
        let expected = expected ?? accepts
        return SettingType(accepts: accepts, parse: { text throws(ValueError) in
            guard isValid(text) else { throw ValueError("expected \(expected)") }
            return text
        }, format: { $0 })
    }

    static let anyText = SettingType(accepts: "text", parse: { $0 }, format: { $0 })
    /// A file the setting names; whether it can be read is for whoever opens it to say.
    static let file = SettingType(accepts: "a file path", parse: { $0 }, format: { $0 })
    static let path = text("a path") { $0.hasPrefix("/") || $0.hasPrefix(".") }
    static func name(_ what: String) -> SettingType { text("a \(what)") { !$0.isEmpty } }
    static let owner = text("USER, USER:GROUP or :GROUP") { !$0.isEmpty }
    static let hmacSecret = text("at least 32 bytes", expected: "at least 32 bytes of secret") { $0.utf8.count >= 32 }
}

extension SettingType where Value == String {
    static let scope = text("scope names", expected: "OAuth2 scope names", Store.validScope)
    static let publicURL = text("an http(s):// URL", expected: "an http:// or https:// URL without query or fragment") { url in
        (url.hasPrefix("https://") || url.hasPrefix("http://")) && url.count <= 512
            && !url.unicodeScalars.contains { $0.value <= 0x20 || $0.value >= 0x7F || "?#\"<>\\".unicodeScalars.contains($0) }
    }
    static let emailAddress = text("an email address", EmailAddress.isValid)
    static let displayName = text("a name without control characters") { name in
        name.count <= 100 && !name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }
    static let smtpURL = text("smtp://host:port or smtps://host:port") { url in
        (url.hasPrefix("smtp://") || url.hasPrefix("smtps://")) && url.count <= 512
            && !url.unicodeScalars.contains { $0.value <= 0x20 || $0.value >= 0x7F }
    }
}

extension SettingType where Value == ListenAddress {
    static let listenAddress = SettingType(accepts: "unix:/path or host:port", parse: { text throws(ValueError) in
        guard let address = ListenAddress(text) else { throw ValueError("expected unix:/path or host:port") }
        return address
    }, format: { $0.description })
}

extension SettingType {
    /// Comma- or space-separated entries, each one `element`.
    static func list<Element>(of element: SettingType<Element>) -> SettingType where Value == [Element] {
        let parse = element.parse
        let format = element.format
        return SettingType(accepts: "comma-separated list of \(element.accepts)", parse: { text throws(ValueError) in
            var values: [Element] = []
            for word in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }) { values.append(try parse(String(word))) }
            return values
        }, format: { $0.map(format).joined(separator: ", ") })
    }
}

extension SettingType where Value == [String] {
    /// Comma- or space-separated words, each passed through `transform`.
    static func list(_ transform: @escaping @Sendable (String) -> String = { $0 }) -> SettingType {
        list(of: SettingType<String>(accepts: "words", parse: { transform($0) }, format: { $0 }))
    }
}

extension SettingType where Value == CIDR {
    static let cidr = SettingType(accepts: "address/bits", parse: { text throws(ValueError) in
        guard let block = CIDR(text) else { throw ValueError("expected an IPv4 or IPv6 address or CIDR block, not '\(text)'") }
        return block
    }, format: { $0.description })
}

extension SettingType where Value == JWTVerifyKey {
    static let verifyKey = SettingType(accepts: "kid:ALG:/path/key.pem", parse: { entry throws(ValueError) in
        let parts = entry.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, !parts[0].isEmpty, !parts[2].isEmpty else {
            throw ValueError("expected kid:ALG:/path/key.pem entries")
        }
        guard let algorithm = JWSAlgorithm(rawValue: parts[1]) else {
            throw ValueError("unsupported algorithm '\(parts[1])' for key '\(parts[0])'")
        }
        return JWTVerifyKey(kid: parts[0], algorithm: algorithm, path: parts[2])
    }, format: { $0.description })
}

extension SettingType {
    /// One of an enumeration's raw values.
    static func oneOf(_ cases: [Value]) -> SettingType where Value: RawRepresentable & Sendable, Value.RawValue == String {
        let names = cases.map(\.rawValue).joined(separator: ", ")
        return SettingType(accepts: "one of " + names, parse: { text throws(ValueError) in
            guard let value = Value(rawValue: text), cases.contains(where: { $0.rawValue == text }) else {
                throw ValueError("expected one of \(names)")
            }
            return value
        }, format: { $0.rawValue })
    }

    /// Unset when empty.
    func orEmpty() -> SettingType<Value?> {
        let parse = self.parse
        let format = self.format
        return SettingType<Value?>(accepts: accepts + ", or empty", parse: { text throws(ValueError) in
            text.isEmpty ? nil : try parse(text)
        }, format: { $0.map(format) ?? "" })
    }

    /// Unset unless given; an empty value is refused like any other bad one.
    func orUnset() -> SettingType<Value?> {
        let parse = self.parse
        let format = self.format
        return SettingType<Value?>(accepts: accepts, parse: { text throws(ValueError) in try parse(text) },
                                   format: { $0.map(format) ?? "" })
    }
}

extension SettingType where Value == Logger.Level {
    static let logLevel = oneOf(Logger.Level.allCases)
}

extension SettingType where Value == JWSAlgorithm {
    static let jwsAlgorithm = oneOf(JWSAlgorithm.allCases)
}
