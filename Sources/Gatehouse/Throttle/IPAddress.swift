import FoundationEssentials
import Glibc

/// An IPv4 or IPv6 address as its bytes (4 or 16), parsed by the C library's inet_pton.
public struct IPAddress: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(_ text: String) {
        var text = text
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        // inet_pton takes ASCII only, so a colon byte is a colon.
        if text.utf8.contains(UInt8(ascii: ":")) {
            var v6 = in6_addr()
            guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            var v4 = in_addr()
            guard inet_pton(AF_INET, text, &v4) == 1 else { return nil }
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        }
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// `::ffff:a.b.c.d` as the IPv4 address it carries, so both spellings count as one client.
    public var unmapped: IPAddress {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff else { return self }
        return IPAddress(bytes: Array(bytes[12...]))
    }

    /// The first `bits` bits, the rest zero.
    public func prefix(_ bits: Int) -> IPAddress {
        IPAddress(bytes: bytes.enumerated().map { index, byte in
            let kept = bits - index * 8
            if kept >= 8 { return byte }
            if kept <= 0 { return 0 }
            return byte & UInt8(truncatingIfNeeded: 0xff << (8 - kept))
        })
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) } != nil
        return ok ? String(cString: buffer) : ""
    }
}

/// A block of addresses, `10.0.0.0/8` or `fd00::/8`; a bare address is its own block.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    public let network: IPAddress
    public let bits: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0]))?.unmapped else { return nil }
        let width = address.bytes.count * 8
        if parts.count == 2 {
            guard let bits = Int(parts[1]), (0...width).contains(bits), parts[1].allSatisfy(\.isASCII) else { return nil }
            self.bits = bits
        } else {
            bits = width
        }
        network = address.prefix(bits)
    }

    public func contains(_ address: IPAddress) -> Bool {
        let address = address.unmapped
        return address.bytes.count == network.bytes.count && address.prefix(bits) == network
    }

    public var description: String { "\(network)/\(bits)" }
}
