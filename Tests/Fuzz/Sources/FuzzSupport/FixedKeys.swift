import Gatehouse

/// Keys that never change between runs, so that a saved crashing input replays.
public enum FixedKeys {
    public static let secret = "fuzz-secret-key-that-is-long-enough-0123456789"
    public static let hmac = try! JWTKey.hmac(secret: secret, algorithm: .HS256)

    public static let ecPrivatePEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgeZpvf+h3aWlv3Uwa
        fpVa+pTxG/HOyQYazL2YMotZQ7ehRANCAAS+64ANDrusBCJQ6heNtfPu4lJKjktR
        nFWQjr4/S2ARi+OFpIl5pL0GAz4U2y5nJ/t6LxcSvjKJDLHw1nCzzsNF
        -----END PRIVATE KEY-----
        """
    public static let ec = try! JWTKey.pem(ecPrivatePEM, algorithm: .ES256, kid: "ec")

    /// HS256 signs; ES256 (kid "ec") verifies too. Tokens expire, so claims are checked at `now`.
    public static let keySet = try! JWTKeySet(
        signingKey: hmac, verificationKeys: [ec], claims: JWTClaims(leeway: 5, audience: nil, issuer: nil))
    public static let now: Int64 = 1_800_000_000
}
