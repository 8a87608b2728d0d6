/// `application/x-www-form-urlencoded` pairs, as Python's `parse_qsl(keep_blank_values=True)`
/// reads them: split on "&", "+" is a space, percent-escapes decode as UTF-8 with U+FFFD for
/// invalid sequences, and an escape that is not two hex digits stays as written.
public struct QueryParameters: Sendable, Sequence {
    public private(set) var pairs: [(name: String, value: String)]

    /// Stops after `maxPairs` pairs, so that a flood of fields is refused without decoding it.
    public init(parsing raw: String, maxPairs: Int = .max) {
        pairs = []
        var rest = Substring(raw)
        while !rest.isEmpty, pairs.count < maxPairs {
            let end = rest.utf8.firstIndex(of: UInt8(ascii: "&")) ?? rest.endIndex
            let segment = rest[..<end]
            rest = end == rest.endIndex ? "" : rest[rest.index(after: end)...]
            if segment.isEmpty { continue }
            if let eq = segment.firstIndex(of: "=") {
                pairs.append((
                    PercentEncoding.decodeFormComponent(segment[..<eq]),
                    PercentEncoding.decodeFormComponent(segment[segment.index(after: eq)...])
                ))
            } else {
                pairs.append((PercentEncoding.decodeFormComponent(segment), ""))
            }
        }
    }

    public init(parsing bytes: [UInt8], maxPairs: Int = .max) {
        self.init(parsing: String(decoding: bytes, as: UTF8.self), maxPairs: maxPairs)
    }

    /// The last value of a name, as Starlette's `QueryParams[...]`/FormData give it.
    public subscript(name: String) -> String? { pairs.last { $0.name == name }?.value }
    /// The first value, as FastAPI's scalar query/form parameters read it.
    public func first(_ name: String) -> String? { pairs.first { $0.name == name }?.value }
    public func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { pairs.makeIterator() }
}

public enum PercentEncoding {
    public static func decodeFormComponent<S: StringProtocol>(_ s: S) -> String {
        decode(s, plusAsSpace: true)
    }

    public static func decode<S: StringProtocol>(_ s: S, plusAsSpace: Bool = false) -> String {
        let utf8 = Array(s.utf8)
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(s)
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let b = utf8[i]
            if b == UInt8(ascii: "%"), i + 2 < utf8.count,
               let hi = hexValue(utf8[i + 1]), let lo = hexValue(utf8[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else if plusAsSpace && b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
                i += 1
            } else {
                out.append(b)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent-encodes everything outside RFC 3986's unreserved set and "/".
    public static func encodePath(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension String {
    package func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

/// The Cookie request header, read the way Starlette's `cookie_parser` reads it
/// (RFC 6265 §5.4 layout; a later cookie of the same name wins).
public enum Cookies {
    public static func parse(_ headerValues: [String]) -> [String: String] {
        var jar: [String: String] = [:]
        for header in headerValues {
            if parseASCII(header, into: &jar) { continue }
            for chunk in header.split(separator: ";", omittingEmptySubsequences: false) {
                let key: String
                let value: String
                if let eq = chunk.firstIndex(of: "=") {
                    key = chunk[..<eq].trimmingWhitespace()
                    value = chunk[chunk.index(after: eq)...].trimmingWhitespace()
                } else {
                    key = ""
                    value = chunk.trimmingWhitespace()
                }
                if !key.isEmpty || !value.isEmpty { jar[key] = unquote(value) }
            }
        }
        return jar
    }

    static func unquote(_ v: String) -> String {
        guard v.count >= 2, v.hasPrefix("\""), v.hasSuffix("\"") else { return v }
        return HeaderTokens.unquote(String(v.dropFirst().dropLast()))
    }

    /// The same reading over the bytes of an ASCII header (every browser's), where a byte is a
    /// Character; false, having read nothing, for any other text.
    private static func parseASCII(_ header: String, into jar: inout [String: String]) -> Bool {
        var header = header
        return header.withUTF8 { bytes in
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return false }
            func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
            func trimmed(_ part: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
                guard let first = part.firstIndex(where: { !isSpace($0) }) else { return part[part.endIndex...] }
                return part[first...part.lastIndex(where: { !isSpace($0) })!]
            }
            var start = bytes.startIndex
            while start <= bytes.endIndex {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: ";")) ?? bytes.endIndex
                let chunk = bytes[start..<end]
                let key, value: Slice<UnsafeBufferPointer<UInt8>>
                if let eq = chunk.firstIndex(of: UInt8(ascii: "=")) {
                    (key, value) = (trimmed(chunk[..<eq]), trimmed(chunk[(eq + 1)...]))
                } else {
                    (key, value) = (chunk[chunk.endIndex...], trimmed(chunk))
                }
                if !key.isEmpty || !value.isEmpty {
                    let text = String(decoding: value, as: UTF8.self)
                    let quoted = value.count >= 2 && value.first == UInt8(ascii: "\"") && value.last == UInt8(ascii: "\"")
                    jar[String(decoding: key, as: UTF8.self)] = quoted ? unquote(text) : text
                }
                start = end + 1
            }
            return true
        }
    }
}
