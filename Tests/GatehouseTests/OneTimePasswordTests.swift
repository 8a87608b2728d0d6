import XCTest
@testable import Gatehouse

/// HOTP and TOTP against their RFCs' vectors; base32, the secret's encryption and the QR code.
final class OneTimePasswordTests: XCTestCase {
    static let rfcSecret = Array("12345678901234567890".utf8)

    func testRFC4226AppendixDVectors() {
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
        for (counter, code) in expected.enumerated() {
            XCTAssertEqual(OneTimePassword.hotp(secret: Self.rfcSecret, counter: UInt64(counter)), code, "counter \(counter)")
        }
    }

    func testRFC6238AppendixBSHA1Vectors() {
        let expected: [(Int64, String)] = [
            (59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
        ]
        for (time, code) in expected {
            XCTAssertEqual(OneTimePassword.totp(secret: Self.rfcSecret, at: time, digits: 8), code, "T = \(time)")
        }
        XCTAssertEqual(OneTimePassword.totp(secret: Self.rfcSecret, at: 59), "287082", "six digits: the same value mod 10^6")
    }

    func testAStepIsMatchedWithinOneStepOfSkewAndOnlyAfterTheLastAccepted() {
        let now: Int64 = 1_800_000_015
        let step = OneTimePassword.step(at: now)
        func code(_ offset: Int64) -> String { OneTimePassword.hotp(secret: Self.rfcSecret, counter: UInt64(step + offset)) }
        for offset: Int64 in [-1, 0, 1] {
            XCTAssertEqual(OneTimePassword.matchingStep(code(offset), secret: Self.rfcSecret, now: now, after: nil), step + offset)
        }
        for offset: Int64 in [-2, 2] {
            XCTAssertNil(OneTimePassword.matchingStep(code(offset), secret: Self.rfcSecret, now: now, after: nil), "\(offset) steps")
        }
        XCTAssertNil(OneTimePassword.matchingStep(code(0), secret: Self.rfcSecret, now: now, after: step), "taken already")
        XCTAssertNil(OneTimePassword.matchingStep(code(-1), secret: Self.rfcSecret, now: now, after: step), "before the last")
        XCTAssertEqual(OneTimePassword.matchingStep(code(1), secret: Self.rfcSecret, now: now, after: step), step + 1)
        for bad in ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", " 12345"] {
            XCTAssertNil(OneTimePassword.matchingStep(bad, secret: Self.rfcSecret, now: now, after: nil), bad)
        }
    }

    func testBase32IsRFC4648() {
        // RFC 4648 §10.
        let vectors = [("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"),
                       ("foobar", "MZXW6YTBOI")]
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base32.encode(Array(plain.utf8)), encoded)
            XCTAssertEqual(Base32.decode(encoded), Array(plain.utf8))
            XCTAssertEqual(Base32.decode(encoded.lowercased()), Array(plain.utf8))
        }
        XCTAssertEqual(Base32.decode("MZXW6YQ="), Array("foob".utf8))
        XCTAssertNil(Base32.decode("MZXW1"), "1 is not in the alphabet")
    }

    func testTheProvisioningURIIsWhatAuthenticatorAppsRead() {
        let uri = OneTimePassword.provisioningURI(secret: Self.rfcSecret, account: "john.doe@example.com", issuer: "Example Co/Ops")
        XCTAssertEqual(uri, "otpauth://totp/Example%20Co%2FOps:john.doe%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                       + "&issuer=Example%20Co%2FOps&algorithm=SHA1&digits=6&period=30")
    }

    func testSealedSecretsOpenOnlyWithTheirKeyAndAccount() {
        let key = TwoFactorKey(material: Array("a".utf8) + LibCrypto.randomBytes(32))
        let other = TwoFactorKey(material: LibCrypto.randomBytes(32))
        let sealed = key.seal(Self.rfcSecret, userID: 7)
        XCTAssertEqual(sealed.count, 12 + 20 + 16, "nonce, ciphertext, tag")
        XCTAssertNil(sealed.firstRange(of: Self.rfcSecret), "no plaintext in what is stored")
        XCTAssertEqual(key.open(sealed, userID: 7), Self.rfcSecret)
        XCTAssertNil(key.open(sealed, userID: 8), "bound to the account")
        XCTAssertNil(other.open(sealed, userID: 7), "bound to the key")
        for i in [0, 12, sealed.count - 1] {
            var tampered = sealed
            tampered[i] ^= 1
            XCTAssertNil(key.open(tampered, userID: 7), "byte \(i) flipped")
        }
        XCTAssertNil(key.open(Array(sealed.prefix(27)), userID: 7))
        XCTAssertNotEqual(key.seal(Self.rfcSecret, userID: 7), sealed, "a fresh nonce each time")
    }

    func testRecoveryCodesAre128RandomBitsTypedAnyWay() throws {
        let code = RecoveryCode.generate()
        XCTAssertEqual(code.count, 30)
        XCTAssertEqual(code.split(separator: "-").map(\.count), [5, 5, 5, 5, 6])
        let canonical = try XCTUnwrap(RecoveryCode.canonical(code))
        XCTAssertEqual(Base32.decode(canonical)?.count, 16)
        XCTAssertEqual(RecoveryCode.canonical(code.uppercased().replacingOccurrences(of: "-", with: " ")), canonical)
        XCTAssertEqual(RecoveryCode.canonical(code.replacingOccurrences(of: "-", with: "")), canonical)
        XCTAssertNil(RecoveryCode.canonical(String(code.dropLast())))
        XCTAssertNil(RecoveryCode.canonical("123456"))
        XCTAssertNotEqual(RecoveryCode.generate(), code)
    }

    func testTheQRCodeIsOnePathWithItsFinderPatterns() throws {
        let text = "otpauth://totp/Gatehouse:johndoe?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gatehouse"
        let matrix = try XCTUnwrap(QRCode.modules(text))
        XCTAssertEqual((matrix.width - 17) % 4, 0, "a QR symbol is 17 + 4·version modules wide")
        // The three 7×7 finder patterns: a dark ring, a light ring, a dark 3×3 core.
        for (ox, oy) in [(0, 0), (matrix.width - 7, 0), (0, matrix.width - 7)] {
            for y in 0..<7 {
                for x in 0..<7 {
                    let ring = max(abs(x - 3), abs(y - 3))
                    XCTAssertEqual(matrix.dark(ox + x, oy + y), ring != 2, "finder at \(ox),\(oy): \(x),\(y)")
                }
            }
        }
        let svg = try XCTUnwrap(QRCode.svg(text))
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""), svg)
        XCTAssertEqual(svg.components(separatedBy: "<path").count - 1, 1, "one path")
        XCTAssertTrue(svg.contains("viewBox=\"0 0 \(matrix.width + 8) \(matrix.width + 8)\""), "four modules of quiet zone")
        // Every dark module is drawn once, as part of a run: the runs' lengths add up to the dark modules.
        var dark = 0
        for y in 0..<matrix.width { for x in 0..<matrix.width where matrix.dark(x, y) { dark += 1 } }
        let runs = svg.components(separatedBy: "h").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        XCTAssertEqual(runs.reduce(0, +), dark)
        XCTAssertTrue(svg.contains("M4 4h7v1h-7z"), "the top-left finder's first row")
        XCTAssertNil(QRCode.svg(String(repeating: "x", count: 8000)), "beyond any QR version")
    }
}
