import Logging
import XCTest
@testable import Gatehouse

/// log_format = json and access_log = on.
final class LogFormatTests: XCTestCase {
    func testAJSONLineIsOneObjectWithTheFieldsAndNoRawControlCharacter() throws {
        let event = LogEvent(level: .warning, message: "rule 'x\nFORGED' denies", metadata: ["user": "a\u{1B}b"], source: nil,
                             file: #fileID, function: #function, line: #line)
        let line = LogFormat.jsonLine(event, label: "gatehouse", metadata: ["worker": "42"], now: 1_800_000_000)
        XCTAssertFalse(line.unicodeScalars.contains { $0.value < 0x20 }, line)
        let object = try JSON.parse(line)
        XCTAssertEqual(object.objectValue?.map(\.0), ["time", "level", "logger", "message", "user", "worker"])
        XCTAssertEqual(object["time"], "2027-01-15T08:00:00Z")
        XCTAssertEqual(object["level"], "warning")
        XCTAssertEqual(object["message"], "rule 'x\nFORGED' denies")
        XCTAssertEqual(object["user"], "a\u{1B}b")
    }

    func testTheAccessLogHasALinePerRequestWithoutSecrets() throws {
        let captured = CapturedLog()
        let logger = Logger(label: "gatehouse") { _ in EscapingLogHandler(captured) }
        let t = try TestApp(["access_log": "true"], logger: logger)
        _ = t.request("GET", "/users/me/", headers: [("Authorization", TestApp.basic("johndoe", "secret"))])
        _ = t.request("GET", "/nothing")
        let lines = captured.lines.withLock { $0 }.filter { $0.hasPrefix("access") }
        XCTAssertEqual(lines.count, 2, "\(lines)")
        XCTAssertTrue(lines[0].contains("method=GET") && lines[0].contains("route=/users/me/") && lines[0].contains("status=200")
                      && lines[0].contains("user_id=1") && lines[0].contains("duration_us="), lines[0])
        XCTAssertTrue(lines[1].contains("route=/nothing") && lines[1].contains("status=404") && lines[1].contains("user_id=-"), lines[1])
        XCTAssertFalse(lines.joined().contains("secret") || lines.joined().contains("am9obmRvZT"), "no credential is logged")
        XCTAssertTrue(try TestApp().app.config.accessLog == false, "off by default")
    }
}
