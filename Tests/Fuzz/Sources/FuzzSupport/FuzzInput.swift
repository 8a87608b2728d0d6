/// The bytes libFuzzer hands a target, and the ways targets cut them up.
public enum FuzzInput {
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Splits at the first occurrence of `separator`: (before, after), or (all, nil).
    public static func split(_ bytes: [UInt8], at separator: [UInt8]) -> (head: [UInt8], rest: [UInt8]?) {
        guard !separator.isEmpty, bytes.count >= separator.count else { return (bytes, nil) }
        for i in 0...(bytes.count - separator.count) where bytes[i..<(i + separator.count)].elementsEqual(separator) {
            return (Array(bytes[..<i]), Array(bytes[(i + separator.count)...]))
        }
        return (bytes, nil)
    }

    /// Every occurrence of `needle` replaced, left to right.
    public static func replacing(_ needle: [UInt8], with replacement: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        guard !needle.isEmpty, bytes.count >= needle.count else { return bytes }
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if i + needle.count <= bytes.count, bytes[i..<(i + needle.count)].elementsEqual(needle) {
                out += replacement
                i += needle.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// The lines of `bytes` split at "\n", an optional "\r" before it dropped.
    public static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            line.last == UInt8(ascii: "\r") ? Array(line.dropLast()) : Array(line)
        }
    }
}

/// A property every input must keep; a broken one stops the run as a crash does, so libFuzzer
/// saves the input.
public func fuzzRequire(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz invariant broken: \(message())") }
}
