import XCTest
@testable import Gatehouse

final class PasswordPolicyTests: XCTestCase {

    func testCases() {
        let policy = PasswordPolicy(minLength: 8)
        func result(_ p: String) -> PasswordPolicyError? {
            do { try policy.check(p); return nil } catch { return error }
        }
        XCTAssertEqual(result(""), .empty)
        XCTAssertEqual(result("1234567"), .tooShort(minLength: 8))
        XCTAssertNil(result("12345678"))
        // Characters, not bytes: 8 accented letters are 16 bytes but one short of 9.
        XCTAssertNil(result("éééééééé"))
        XCTAssertEqual(result("ééééééé"), .tooShort(minLength: 8))
        XCTAssertEqual(result("👩‍👩‍👧‍👦👩‍👩‍👧‍👦👩‍👩‍👧‍👦"), .tooShort(minLength: 8))
        XCTAssertEqual(result("abc\0defghij"), .containsNUL)
        XCTAssertNil(result(String(repeating: "a", count: 1024)))
        XCTAssertEqual(result(String(repeating: "a", count: 1025)), .tooLong(maxBytes: 1024))
        XCTAssertEqual(result(String(repeating: "é", count: 513)), .tooLong(maxBytes: 1024))
        XCTAssertNil(result("  spaces  "))
        XCTAssertNoThrow(try PasswordPolicy(minLength: 1).check("x"))
    }

    func testMessages() {
        XCTAssertEqual(PasswordPolicyError.empty.description, "the password is empty")
        XCTAssertEqual(
            PasswordPolicyError.tooShort(minLength: 8).description,
            "the password is too short: at least 8 characters are required")
        XCTAssertEqual(
            PasswordPolicyError.tooLong(maxBytes: 1024).description,
            "the password is too long: at most 1024 bytes are allowed")
        XCTAssertEqual(PasswordPolicyError.containsNUL.description, "the password contains a NUL character")
    }
}
