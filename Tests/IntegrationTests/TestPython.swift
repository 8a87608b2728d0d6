import Foundation
import XCTest

/// The outside references (PyJWT, pwdlib, FastAPI) run by the Python the Makefile names.
enum TestPython {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// GH_TEST_PYTHON, else `<root>/.venv/bin/python`; a failure, never a skip, when neither is there.
    static func path(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let python = ProcessInfo.processInfo.environment["GH_TEST_PYTHON"]
            ?? Harness.packageRoot.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            let message = "no Python at \(python): set GH_TEST_PYTHON or run `make venv`"
            XCTFail(message, file: file, line: line)
            throw Failure(description: message)
        }
        return python
    }

    /// Runs Python with `arguments` and `stdin`; its standard output, or a test failure
    /// carrying its standard error when it exits non-zero. Input and errors go through
    /// files, so neither side can block on a full pipe.
    static func run(_ arguments: [String], stdin: Data = Data(), environment: [String: String] = [:],
                    file: StaticString = #filePath, line: UInt = #line) throws -> Data {
        let folder = NSTemporaryDirectory() + "gatehouse-python-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try stdin.write(to: URL(fileURLWithPath: folder + "/stdin"))
        FileManager.default.createFile(atPath: folder + "/stderr", contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path(file: file, line: line))
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: folder + "/stdin"))
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/stderr"))
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let errors = (try? String(contentsOfFile: folder + "/stderr", encoding: .utf8)) ?? ""
            let message = "python \(arguments.first ?? "") exited \(process.terminationStatus): \(errors)"
            XCTFail(message, file: file, line: line)
            throw Failure(description: message)
        }
        return output
    }
}
