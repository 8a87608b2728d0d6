import Foundation
import XCTest

/// libcrypto is opened with dlopen, its functions called through a table of C function
/// pointers whose types are written out (Sources/Gatehouse/Tokens/OpenSSL.swift): the compiler
/// cannot see a mistake there, so here every entry is type-checked against the header's own
/// declaration of that function. A wrong type would call OpenSSL with the wrong arguments.
final class OpenSSLSymbolTableTests: XCTestCase {
    func testEveryTableEntryHasItsFunctionsDeclaredType() throws {
        let root = Harness.packageRoot.path
        let table = try String(contentsOfFile: root + "/Sources/Gatehouse/Tokens/OpenSSL.swift", encoding: .utf8)
        let entries = table.split(separator: "\n").compactMap { line -> (name: String, type: String)? in
            guard line.hasPrefix("    let "), let colon = line.firstIndex(of: ":"), line.contains("@convention(c)") else { return nil }
            return (String(line[line.index(line.startIndex, offsetBy: 8)..<colon]), String(line[line.index(after: colon)...]))
        }
        XCTAssertGreaterThan(entries.count, 60, "the table's entries were found")
        let check = NSTemporaryDirectory() + "gatehouse-openssl-\(UUID().uuidString).swift"
        try (["import COpenSSL"] + entries.map { "let _:\($0.type) = \($0.name)" }).joined(separator: "\n")
            .write(toFile: check, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: check) }
        let swiftc = ProcessInfo.processInfo.environment["SWIFTC"] ?? "swiftc"
        let result = try Harness.run("/usr/bin/env", [swiftc, "-typecheck", "-Xcc", "-fmodule-map-file=\(root)/Sources/COpenSSL/module.modulemap",
                                                      check])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(table.contains("link \"crypto\""))
        let moduleMap = try String(contentsOfFile: root + "/Sources/COpenSSL/module.modulemap", encoding: .utf8)
        XCTAssertFalse(moduleMap.contains("link"), "libcrypto is opened, never linked")
    }
}
