import Foundation
import XCTest
@testable import Gatehouse

/// Hashes cross the border both ways: pwdlib/argon2-cffi read ours, we read theirs
/// (and passlib's and the bcrypt package's bcrypt).
final class PwdlibInteropTests: XCTestCase {
    /// Runs a Python script with `input` as JSON on stdin and returns its JSON output.
    func runPython(_ script: String, input: Any) throws -> Any {
        let output = try TestPython.run(
            ["-c", script], stdin: try JSONSerialization.data(withJSONObject: input),
            environment: ["PASSLIB_BUILTIN_BCRYPT": "enabled", "PYTHONWARNINGS": "ignore"])
        return try JSONSerialization.jsonObject(with: output)
    }

    let passwords = ["secret", "correct horse battery staple", "pässwörd €🔑", " spaces at both ends ", "x"]

    func testPwdlibAndArgon2CffiVerifyOurHashes() throws {
        let hasher = PasswordHasher(config: Config())
        let pairs = try passwords.map { [$0, try hasher.hash($0)] }
        let script = """
            import sys, json
            from pwdlib import PasswordHash
            from pwdlib.hashers.argon2 import Argon2Hasher
            import argon2
            pairs = json.load(sys.stdin)
            ph = PasswordHash((Argon2Hasher(),))
            cffi = argon2.PasswordHasher()
            out = []
            for pw, h in pairs:
                ok, updated = ph.verify_and_update(pw, h)
                try:
                    cffi_ok = cffi.verify(h, pw)
                except argon2.exceptions.VerificationError:
                    cffi_ok = False
                out.append({"pwdlib": ok, "rehash": updated is not None, "cffi": cffi_ok,
                            "cffi_rehash": cffi.check_needs_rehash(h), "wrong": ph.verify(pw + "!", h)})
            json.dump(out, sys.stdout)
            """
        let results = try XCTUnwrap(try runPython(script, input: pairs) as? [[String: Bool]])
        XCTAssertEqual(results.count, passwords.count)
        for (pair, result) in zip(pairs, results) {
            XCTAssertEqual(result, ["pwdlib": true, "rehash": false, "cffi": true, "cffi_rehash": false, "wrong": false],
                           "\(pair[0]) \(pair[1])")
        }
    }

    func testWeVerifyFreshPwdlibPasslibAndBcryptHashes() throws {
        let script = """
            import sys, json
            from pwdlib import PasswordHash
            from pwdlib.hashers.argon2 import Argon2Hasher
            from pwdlib.hashers.bcrypt import BcryptHasher
            import argon2, bcrypt
            from passlib.hash import bcrypt as passlib_bcrypt
            try:
                passlib_bcrypt.set_backend("builtin")  # passlib 1.7.4 cannot drive bcrypt 4 and later
            except Exception:
                pass  # passlib 1.9 can, and has no builtin backend
            passwords = json.load(sys.stdin)
            out = []
            for pw in passwords:
                out.append(["pwdlib-argon2id", pw, PasswordHash.recommended().hash(pw)])
                out.append(["argon2i", pw, argon2.PasswordHasher(type=argon2.Type.I, memory_cost=4096, time_cost=2, parallelism=2).hash(pw)])
                out.append(["pwdlib-bcrypt", pw, PasswordHash((BcryptHasher(rounds=4),)).hash(pw)])
                out.append(["bcrypt-2a", pw, bcrypt.hashpw(pw.encode(), bcrypt.gensalt(4, prefix=b"2a")).decode()])
                out.append(["passlib-2b", pw, passlib_bcrypt.using(rounds=4).hash(pw)])
                out.append(["passlib-2y", pw, passlib_bcrypt.using(rounds=4, ident="2y").hash(pw)])
            json.dump(out, sys.stdout)
            """
        let rows = try XCTUnwrap(try runPython(script, input: passwords) as? [[String]])
        XCTAssertEqual(rows.count, passwords.count * 6)
        let hasher = PasswordHasher(config: Config())
        for row in rows {
            let (kind, password, hash) = (row[0], row[1], row[2])
            XCTAssertTrue(hasher.verify(password, hash: hash), "\(kind): \(password) \(hash)")
            XCTAssertFalse(hasher.verify(password + "!", hash: hash), "\(kind): \(hash)")
            XCTAssertTrue(PasswordHasher.isWellFormed(hash), hash)
            XCTAssertEqual(hasher.needsRehash(hash), kind != "pwdlib-argon2id", "\(kind): \(hash)")
        }
    }
}
