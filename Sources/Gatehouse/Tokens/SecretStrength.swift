import FoundationEssentials
import Glibc

/// Whether a secret looks random enough to sign tokens with, and whether a file that holds
/// a secret is private to its owner. Neither check ever echoes the secret.
package enum SecretStrength {
    /// Bits of the secret by the Shannon estimate over its bytes: `openssl rand -hex 32` gives
    /// about 240, a repeated character 0, a short word a few dozen.
    package static func estimatedBits(_ secret: [UInt8]) -> Double {
        guard !secret.isEmpty else { return 0 }
        var counts = [Int](repeating: 0, count: 256)
        for b in secret { counts[Int(b)] += 1 }
        let n = Double(secret.count)
        let perByte = counts.filter { $0 > 0 }.reduce(0.0) { sum, c in
            let p = Double(c) / n
            return sum - p * log2(p)
        }
        return perByte * n
    }

    package static let minimumBits = 128.0

    package static func isRandomEnough(_ secret: [UInt8]) -> Bool { estimatedBits(secret) >= minimumBits }

    /// nil when only the owner may read `path`; else why not, with the fix.
    package static func exposure(of path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o077 != 0 else { return nil }
        return "permissions \(String(info.st_mode & 0o777, radix: 8)) let others read it; run chmod 600 \(path)"
    }
}
