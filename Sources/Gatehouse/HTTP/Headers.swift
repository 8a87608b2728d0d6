/// HTTP header fields in arrival order. Names are kept lowercased (as ASGI has them), so
/// lookups compare case-insensitively without work per field;
/// values are Strings whose scalars are the raw header bytes (latin-1), as
/// CGI meta-variables and ASGI both hand them over.
public struct Headers: Sequence, Sendable, Equatable {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}
    public init(_ pairs: [(String, String)]) {
        fields.reserveCapacity(pairs.count)
        for (name, value) in pairs { add(name, value) }
    }

    package init(minimumCapacity: Int) { fields.reserveCapacity(minimumCapacity) }

    /// Room for `count` more fields without growing.
    package mutating func reserveCapacity(adding count: Int) { fields.reserveCapacity(fields.count + count) }

    public subscript(name: String) -> String? {
        let key = Headers.lowercased(name)
        return fields.first { $0.name == key }?.value
    }

    public func values(_ name: String) -> [String] {
        let key = Headers.lowercased(name)
        return fields.filter { $0.name == key }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// Appends a field. CR, LF and NUL are dropped from names and values, so a
    /// value taken from a request can never split a response header.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((Headers.lowercased(Headers.clean(name)), Headers.clean(value)))
    }

    /// Replaces every field of that name with one.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        let key = Headers.lowercased(name)
        fields.removeAll { $0.name == key }
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    public static func == (a: Headers, b: Headers) -> Bool {
        a.fields.elementsEqual(b.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    /// The name itself when it has no capital (nearly always: names are written lowercase
    /// here, and CGI's come lowercased), so a lookup makes no new string.
    static func lowercased(_ name: String) -> String {
        name.containsByte { ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) || $0 >= 0x80 } ? name.lowercased() : name
    }

    static func clean(_ s: String) -> String {
        guard s.containsByte(where: isBreaking) else { return s }
        return String(String.UnicodeScalarView(s.unicodeScalars.filter { $0 != "\r" && $0 != "\n" && $0 != "\0" }))
    }

    /// CR, LF and NUL: what could split a header line.
    @inline(__always)
    static func isBreaking(_ byte: UInt8) -> Bool { byte == 13 || byte == 10 || byte == 0 }

    /// Appends a CGI meta-variable `HTTP_<name>` as the field it stands for: `X_API_KEY` →
    /// `x-api-key`, the value read as latin-1. The same field `add` would make from
    /// `RequestBuilder.headerName(cgi:)` and `Latin1.string`, made in one pass over the bytes
    /// into strings that short names and values keep inline (no allocation).
    package mutating func appendCGI(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        let fieldName: String
        if name.contains(where: { $0 >= 0x80 }) {
            // Not ASCII: decoded as UTF-8 and lowercased as Unicode, as add does. Never from a real client.
            fieldName = Headers.lowercased(Headers.clean(String(decoding: name.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : $0 },
                                                                as: UTF8.self)))
        } else {
            fieldName = String(unsafeUninitializedCapacity: name.count) { out in
                var n = 0
                for byte in name where !Headers.isBreaking(byte) {
                    switch byte {
                    case UInt8(ascii: "_"): out[n] = UInt8(ascii: "-")
                    case UInt8(ascii: "A")...UInt8(ascii: "Z"): out[n] = byte + 32
                    default: out[n] = byte
                    }
                    n += 1
                }
                return n
            }
        }
        fields.append((fieldName, Latin1.string(buffer: value, dropping: Headers.isBreaking)))
    }
}

extension String {
    /// Whether any UTF-8 byte passes `test`, over the contiguous bytes where the string has them.
    @inline(__always)
    func containsByte(where test: (UInt8) -> Bool) -> Bool {
        if let found = utf8.withContiguousStorageIfAvailable({ $0.contains(where: test) }) { return found }
        return utf8.contains(where: test)
    }
}

/// Latin-1: every byte is the scalar of the same number, and back.
public enum Latin1 {
    @inlinable
    public static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        if let s = bytes.withContiguousStorageIfAvailable({ string(buffer: $0) }) { return s }
        return Array(bytes).withUnsafeBufferPointer { string(buffer: $0) }
    }

    /// ASCII (nearly every header) is already UTF-8; other bytes become two-byte sequences.
    public static func string(buffer: UnsafeBufferPointer<UInt8>) -> String {
        string(buffer: buffer, dropping: { _ in false })
    }

    /// The same, without the bytes `dropped` picks (the scalars of the same numbers).
    @inline(__always)
    static func string(buffer: UnsafeBufferPointer<UInt8>, dropping dropped: (UInt8) -> Bool) -> String {
        var high = 0
        var dropping = false
        for b in buffer {
            if b >= 0x80 { high += 1 } else if dropped(b) { dropping = true }
        }
        if high == 0 && !dropping { return String(decoding: buffer, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: buffer.count + high) { out in
            var i = 0
            for b in buffer where !dropped(b) {
                if b < 0x80 {
                    out[i] = b
                    i += 1
                } else {
                    out[i] = 0xC0 | b >> 6
                    out[i + 1] = 0x80 | b & 0x3F
                    i += 2
                }
            }
            return i
        }
    }

    /// nil when a scalar is above U+00FF.
    public static func bytes(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(s.unicodeScalars.count)
        for u in s.unicodeScalars {
            guard u.value < 256 else { return nil }
            out.append(UInt8(u.value))
        }
        return out
    }

    /// Reads latin-1 text as UTF-8 bytes, as Starlette does for header values
    /// that carry UTF-8 (e.g. a non-ASCII Basic credential); nil when invalid.
    public static func utf8(_ s: String) -> String? {
        guard let raw = bytes(s) else { return nil }
        return String(validating: raw, as: UTF8.self)
    }
}
