import Gatehouse
import Glibc
import XCTest

/// The libc-level helpers that stand in for Foundation's (which would bring ICU into every process).
final class ProcessSupportTests: XCTestCase {
    func testTheDirectoryOfAPathIsWhatIsBeforeItsLastSlash() {
        XCTAssertEqual(FilePath.directory(of: "/var/lib/gatehouse/gatehouse.sqlite3"), "/var/lib/gatehouse")
        XCTAssertEqual(FilePath.directory(of: "/var/lib/gatehouse/"), "/var/lib")
        XCTAssertEqual(FilePath.directory(of: "/secret_key"), "/")
        XCTAssertEqual(FilePath.directory(of: "secret_key"), "")
        XCTAssertEqual(FilePath.directory(of: "data/secret_key"), "data")
        XCTAssertEqual(FilePath.directory(of: "/"), "/")
    }

    func testMakingFoldersMakesTheMissingParentsPrivateAndRefusesAFile() throws {
        let base = FileManager.default.temporaryDirectory.path + "/gh-dirs-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: base) }
        XCTAssertNil(FilePath.makeDirectories(base + "/a/b"))
        XCTAssertTrue(FilePath.isDirectory(base + "/a/b"))
        var info = stat()
        XCTAssertEqual(stat(base + "/a", &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o700)
        XCTAssertNil(FilePath.makeDirectories(base + "/a/b"), "an existing folder is fine")
        XCTAssertTrue(FileManager.default.createFile(atPath: base + "/file", contents: Data()))
        XCTAssertEqual(FilePath.makeDirectories(base + "/file"), "\(base)/file is not a directory")
    }

    func testISOTimesRoundTripAndAnythingElseIsRefused() {
        XCTAssertEqual(ISOTime.string(0), "1970-01-01T00:00:00Z")
        XCTAssertEqual(ISOTime.string(1_796_000_000), "2026-11-30T00:53:20Z")
        XCTAssertEqual(ISOTime.parse("2026-11-30T00:53:20Z"), 1_796_000_000)
        XCTAssertEqual(ISOTime.parse("2026-11-30T01:53:20+01:00"), 1_796_000_000)
        XCTAssertEqual(ISOTime.parse("2026-11-29T22:53:20-02:00"), 1_796_000_000)
        XCTAssertEqual(ISOTime.parse("2026-12-01"), 1_796_083_200)
        for bad in ["", "2026-12", "2026-02-31", "2026-13-01", "2026-12-01T10:00", "2026-12-01T10:00:00",
                    "2026-12-01T25:00:00Z", "2026-12-01 10:00:00Z", "2026-12-01T10:00:00+0100", "yesterday", "２０２６-12-01"] {
            XCTAssertNil(ISOTime.parse(bad), bad)
        }
    }

    func testASubprocessGetsItsInputAndGivesBackItsOutputErrorsAndStatus() throws {
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        let cat = try Subprocess.run("/bin/sh", ["-c", "cat; echo done >&2; exit 3"], input: big)
        XCTAssertEqual(cat.output.count, big.count, "a megabyte through the pipes both ways, no deadlock")
        XCTAssertEqual(String(decoding: cat.errors, as: UTF8.self), "done\n")
        XCTAssertEqual(cat.status, 3)
        let quiet = try Subprocess.run("/bin/sh", ["-c", "echo out; echo err >&2"], keepOutput: false)
        XCTAssertEqual(quiet.output, [])
        XCTAssertEqual(String(decoding: quiet.errors, as: UTF8.self), "err\n")
        XCTAssertEqual(quiet.status, 0)
    }

    func testAChildThatStopsReadingEarlyNeitherKillsNorHangsUs() throws {
        let result = try Subprocess.run("/bin/sh", ["-c", "head -c 10 >/dev/null; exit 0"],
                                        input: [UInt8](repeating: 65, count: 4 << 20))
        XCTAssertEqual(result.status, 0)
        var pending = sigset_t()
        sigpending(&pending)
        XCTAssertEqual(sigismember(&pending, SIGPIPE), 0, "no SIGPIPE left pending")
    }

    func testAProgramThatCannotStartIsAnErrorAndASignalIsItsNumberPlus128() throws {
        XCTAssertThrowsError(try Subprocess.run("/nonexistent/sendmail", []))
        XCTAssertEqual(try Subprocess.run("/bin/sh", ["-c", "kill -TERM $$"]).status, 128 + SIGTERM)
    }
}
