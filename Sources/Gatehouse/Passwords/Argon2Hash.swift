import CArgon2

/// An Argon2 PHC string, parsed strictly: `$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>`
/// (salt and hash in standard base64 without padding), or the same without `v=`
/// (version 16, as libargon2 wrote before 1.3).
struct Argon2Hash: Equatable {
    enum Variant: String { case argon2d, argon2i, argon2id }

    var variant: Variant
    var version: UInt32
    var memoryKiB: UInt32
    var timeCost: UInt32
    var parallelism: UInt32
    var salt: [UInt8]
    var hash: [UInt8]

    static let version13: UInt32 = 0x13
    static let version10: UInt32 = 0x10

    /// Bounds that a stored hash must respect before any work is done for it, so that a
    /// hostile row cannot make verification allocate gigabytes or spin for minutes.
    struct Limits {
        var maxMemoryKiB: UInt32
        var maxTimeCost: UInt32
        var maxParallelism: UInt32
        static let maxEncodedLength = 512
        static let saltLengths = 8...64
        static let hashLengths = 4...64
    }

    /// nil for anything that is not a well-formed Argon2 PHC string within the limits.
    init?(parsing text: String, limits: Limits) {
        guard text.utf8.count <= Limits.maxEncodedLength else { return nil }
        var fields = text.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5 || fields.count == 6, fields[0].isEmpty else { return nil }
        guard let variant = Variant(rawValue: String(fields[1])) else { return nil }
        fields.removeFirst(2)
        var version = Argon2Hash.version10
        if fields.count == 4 {
            switch fields.removeFirst() {
            case "v=19": version = Argon2Hash.version13
            case "v=16": version = Argon2Hash.version10
            default: return nil
            }
        }
        let params = fields[0].split(separator: ",", omittingEmptySubsequences: false)
        guard params.count == 3,
            let m = Argon2Hash.number(params[0], key: "m="),
            let t = Argon2Hash.number(params[1], key: "t="),
            let p = Argon2Hash.number(params[2], key: "p=")
        else { return nil }
        guard (1...limits.maxParallelism).contains(p), (1...limits.maxTimeCost).contains(t),
            UInt64(m) >= 8 * UInt64(p), m <= limits.maxMemoryKiB
        else { return nil }
        guard let salt = Argon2Hash.decode(fields[1]), Limits.saltLengths.contains(salt.count),
            let hash = Argon2Hash.decode(fields[2]), Limits.hashLengths.contains(hash.count)
        else { return nil }
        self.init(variant: variant, version: version, memoryKiB: m, timeCost: t, parallelism: p, salt: salt, hash: hash)
    }

    init(variant: Variant, version: UInt32, memoryKiB: UInt32, timeCost: UInt32, parallelism: UInt32,
         salt: [UInt8], hash: [UInt8]) {
        self.variant = variant
        self.version = version
        self.memoryKiB = memoryKiB
        self.timeCost = timeCost
        self.parallelism = parallelism
        self.salt = salt
        self.hash = hash
    }

    /// The PHC string, byte for byte as libargon2's encoder (and so argon2-cffi and pwdlib) writes it.
    var encoded: String {
        var s = "$\(variant.rawValue)$"
        if version == Argon2Hash.version13 { s += "v=19$" }
        s += "m=\(memoryKiB),t=\(timeCost),p=\(parallelism)$"
        return s + Argon2Hash.encode(salt) + "$" + Argon2Hash.encode(hash)
    }

    /// Decimal digits only, no sign, no leading zero, fits in UInt32.
    static func number(_ field: Substring, key: String) -> UInt32? {
        guard field.hasPrefix(key) else { return nil }
        let digits = field.dropFirst(key.count)
        guard !digits.isEmpty, digits.count <= 10, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            digits == "0" || !digits.hasPrefix("0")
        else { return nil }
        return UInt32(digits)
    }

    static func encode(_ bytes: [UInt8]) -> String {
        var s = Base64.encode(bytes)
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    static func decode(_ field: Substring) -> [UInt8]? {
        guard !field.isEmpty, field.utf8.count % 4 != 1, !field.contains("=") else { return nil }
        return Base64.decode(String(field) + String(repeating: "=", count: (4 - field.utf8.count % 4) % 4))
    }

    var type: argon2_type {
        switch variant {
        case .argon2d: return Argon2_d
        case .argon2i: return Argon2_i
        case .argon2id: return Argon2_id
        }
    }

    /// The raw Argon2 output for `password` with these parameters and salt; nil when libargon2 refuses.
    func compute(_ password: [UInt8], outputLength: Int) -> [UInt8]? {
        PasswordHasher.computations.add(1, ordering: .relaxed)
        var out = [UInt8](repeating: 0, count: outputLength)
        let result = password.withUnsafeBytes { pwd in
            salt.withUnsafeBytes { saltBytes in
                out.withUnsafeMutableBytes { outBytes in
                    argon2_hash(
                        timeCost, memoryKiB, parallelism,
                        pwd.baseAddress, pwd.count, saltBytes.baseAddress, saltBytes.count,
                        outBytes.baseAddress, outBytes.count, nil, 0, type, version)
                }
            }
        }
        return result == ARGON2_OK.rawValue ? out : nil
    }

    /// Whether `password` produces this hash, compared in constant time.
    func matches(_ password: [UInt8]) -> Bool {
        guard let computed = compute(password, outputLength: hash.count) else { return false }
        return LibCrypto.constantTimeEquals(computed, hash)
    }
}
