/// The FastCGI 1.0 wire format (the specification's §3 and §8): records of an 8-byte header,
/// content and padding, and the name-value pairs of FCGI_PARAMS and FCGI_GET_VALUES.
package enum FastCGIRecord {
    static let version: UInt8 = 1
    static let headerLength = 8
    /// The largest content one record carries (a 16-bit length).
    static let maxContent = 65535

    enum Kind: UInt8 {
        case beginRequest = 1, abortRequest, endRequest, params, stdin, stdout, stderr, data
        case getValues, getValuesResult, unknownType
    }

    /// FCGI_BEGIN_REQUEST's roles; Gatehouse answers the first two.
    static let responder: UInt16 = 1
    static let authorizer: UInt16 = 2
    static let keepConnection: UInt8 = 1

    /// FCGI_END_REQUEST's protocol status.
    enum EndStatus: UInt8 {
        case requestComplete = 0, cantMultiplex, overloaded, unknownRole
    }

    struct Header: Equatable {
        var type: UInt8
        var requestID: UInt16
        var contentLength: Int
        var paddingLength: Int

        /// nil unless the version is 1 (the only one there is).
        init?(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count >= FastCGIRecord.headerLength, bytes[0] == FastCGIRecord.version else { return nil }
            type = bytes[1]
            requestID = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
            contentLength = Int(bytes[4]) << 8 | Int(bytes[5])
            paddingLength = Int(bytes[6])
        }
    }

    /// Appends a record's header for `contentLength` bytes of content and `padding` bytes of padding.
    static func appendHeader(_ type: Kind, id: UInt16, contentLength: Int, padding: Int = 0, to out: inout [UInt8]) {
        let header = (version, type.rawValue, UInt8(id >> 8), UInt8(id & 0xff),
                      UInt8(contentLength >> 8), UInt8(contentLength & 0xff), UInt8(padding), UInt8(0))
        withUnsafeBytes(of: header) { out.append(contentsOf: $0) }
    }

    /// An answer's stream: `body` as FCGI_STDOUT records (each padded to a multiple of eight
    /// bytes), the empty record that ends the stream, and FCGI_END_REQUEST.
    package static func appendAnswer(_ body: UnsafeRawBufferPointer, id: UInt16, to out: inout [UInt8]) {
        var at = 0
        while at < body.count {
            // A multiple of eight below the limit, so that only the last record needs padding.
            let count = min(body.count - at, maxContent & ~7)
            let padding = (8 - count % 8) % 8
            appendHeader(.stdout, id: id, contentLength: count, padding: padding, to: &out)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: body[at..<(at + count)]))
            out.append(contentsOf: repeatElement(0, count: padding))
            at += count
        }
        appendHeader(.stdout, id: id, contentLength: 0, to: &out)
        appendEndRequest(id: id, status: .requestComplete, to: &out)
    }

    static func appendEndRequest(id: UInt16, status: EndStatus, to out: inout [UInt8]) {
        appendHeader(.endRequest, id: id, contentLength: 8, to: &out)
        let body = (UInt32(0), status.rawValue, UInt8(0), UInt8(0), UInt8(0))  // appStatus 0, protocolStatus, reserved
        withUnsafeBytes(of: body) { out.append(contentsOf: $0) }
    }

    /// The answer to FCGI_GET_VALUES (`content` its pairs): the three variables the
    /// specification names, for a process that takes one connection and one request at a time.
    /// Others are left out, as §4.1 says.
    static func appendValues(answering content: UnsafeRawBufferPointer, to out: inout [UInt8]) -> Bool {
        var pairs: [UInt8] = []
        let complete = forEachPair(in: content) { name, _ in
            let value: UInt8
            switch String(decoding: name, as: UTF8.self) {
            case "FCGI_MAX_CONNS", "FCGI_MAX_REQS": value = UInt8(ascii: "1")
            case "FCGI_MPXS_CONNS": value = UInt8(ascii: "0")
            default: return
            }
            pairs += [UInt8(name.count), 1] + name + [value]
        }
        guard complete else { return false }
        let padding = (8 - pairs.count % 8) % 8
        appendHeader(.getValuesResult, id: 0, contentLength: pairs.count, padding: padding, to: &out)
        out += pairs + repeatElement(0, count: padding)
        return true
    }

    static func appendUnknownType(_ type: UInt8, to out: inout [UInt8]) {
        appendHeader(.unknownType, id: 0, contentLength: 8, to: &out)
        out.append(contentsOf: [type, 0, 0, 0, 0, 0, 0, 0])
    }

    /// Calls `body` with each name and value of a name-value pair stream (§3.4: each length
    /// one byte, or four with the high bit set). False when a pair runs past the end; the
    /// pairs before it have been handed over.
    @discardableResult
    static func forEachPair(in bytes: UnsafeRawBufferPointer,
                            _ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) -> Bool {
        var at = 0
        func length() -> Int? {
            guard at < bytes.count else { return nil }
            let first = bytes[at]
            if first & 0x80 == 0 {
                at += 1
                return Int(first)
            }
            guard bytes.count - at >= 4 else { return nil }
            defer { at += 4 }
            return Int(first & 0x7f) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
        }
        while at < bytes.count {
            guard let nameLength = length(), let valueLength = length(),
                  nameLength <= bytes.count - at, valueLength <= bytes.count - at - nameLength else { return false }
            let name = UnsafeRawBufferPointer(rebasing: bytes[at..<(at + nameLength)])
            let value = UnsafeRawBufferPointer(rebasing: bytes[(at + nameLength)..<(at + nameLength + valueLength)])
            body(name, value)
            at += nameLength + valueLength
        }
        return true
    }
}
