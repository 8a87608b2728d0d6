import Foundation
import Logging
import XCTest
@testable import Gatehouse

/// The settings table: parsing, types, ranges, provenance, masking, the environment,
/// unknown keys, restart-only detection, the example file and the README's table.
final class ConfigTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gh-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func file(_ text: String) throws -> String {
        let path = folder + "/gatehouse.conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func loadError(file text: String? = nil, environment: [String: String] = [:]) throws -> String {
        let path = try text.map(file)
        do {
            _ = try Config.load(file: path, environment: environment)
            return ""
        } catch {
            return error.description
        }
    }

    func testFileValuesAreTypedAndRememberTheirLine() throws {
        let path = try file("""
            # a comment
            listen = 127.0.0.1:9000

            log_level = debug
            jwt_algorithm = "ES256"
            jwt_verify_keys = old:RS256:/k/old.pem, hs:HS512:/k/hs.secret
            socket_mode = 0600
            cors_allow_methods = get post
            login_listen = unix:/run/g/login.sock
            scope.read = Read things.
            """)
        let config = try Config.load(file: path, environment: [:])
        XCTAssertEqual(config.listen, .tcp(host: "127.0.0.1", port: 9000))
        XCTAssertEqual(config.logLevel, Logger.Level.debug)
        XCTAssertEqual(config.jwtAlgorithm, .ES256)
        XCTAssertEqual(config.jwtVerifyKeys, [JWTVerifyKey(kid: "old", algorithm: .RS256, path: "/k/old.pem"),
                                              JWTVerifyKey(kid: "hs", algorithm: .HS512, path: "/k/hs.secret")])
        XCTAssertEqual(config.socketMode, 0o600)
        XCTAssertEqual(config.corsAllowMethods, ["GET", "POST"])
        XCTAssertEqual(config.loginListen, .unix(path: "/run/g/login.sock"))
        XCTAssertEqual(config.scopes.map(\.name), ["read"])
        XCTAssertEqual(config.origins["listen"], .file(path: path, line: 2))
        XCTAssertEqual(config.origins["log_level"], .file(path: path, line: 4))
        XCTAssertNil(config.origins["workers"])
        XCTAssertTrue(config.describe().contains("listen"))
        let shown = config.describe().split(separator: "\n").first { $0.hasPrefix("log_level ") }
        XCTAssertEqual(shown.map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) },
                       ["log_level", "debug", "\(path):4"])
    }

    func testRangesAndTypesNameTheKeyAndTheLine() throws {
        let cases: [(String, String)] = [
            ("workers = 257", "config key 'workers' (\(folder)/gatehouse.conf:1): expected an integer from 0 to 256, got '257'"),
            ("workers = many", "expected an integer from 0 to 256, got 'many'"),
            ("demo = maybe", "expected true or false, got 'maybe'"),
            ("socket_mode = 0999", "expected an octal mode such as 0660, got '0999'"),
            ("socket_mode = 01777", "expected an octal mode such as 0660"),
            ("listen = somewhere", "expected unix:/path or host:port, got 'somewhere'"),
            ("listen = unix:", "expected unix:/path or host:port"),
            ("log_level = loud", "expected one of trace, debug, info, notice, warning, error, critical, got 'loud'"),
            ("jwt_algorithm = none", "expected one of HS256, HS384"),
            ("jwt_verify_keys = a:none:/x", "unsupported algorithm 'none' for key 'a'"),
            ("jwt_verify_keys = a:RS256", "expected kid:ALG:/path/key.pem entries"),
            ("data_dir = relative", "expected a path"),
            ("api_key_header = X Key", "expected a header name"),
            ("max_token_length = 255", "expected an integer from 256 to 1048576"),
            ("scope.bad\"name = x", "a scope name is printable ASCII"),
            ("just words", "line 1: expected 'key = value'"),
            ("no_such_setting = 1", "config key 'no_such_setting' (\(folder)/gatehouse.conf:1): unknown setting 'no_such_setting'"),
        ]
        for (line, message) in cases {
            let error = try loadError(file: line)
            XCTAssertTrue(error.contains(message), "\(line): \(error)")
        }
        XCTAssertEqual(try loadError(file: "workers = 256\nlogin_nice = 0\nlogin_nice = 19"), "")
    }

    func testEnvironmentOverridesTheFileAndUnknownVariablesAreErrors() throws {
        let path = try file("workers = 2\nmax_body_size = 10\n")
        let config = try Config.load(file: path, environment: [
            "GATEHOUSE_WORKERS": "3", "GATEHOUSE_CONFIG": "/ignored", "PATH": "/bin", "GH_TEST_PYTHON": "/x",
        ])
        XCTAssertEqual(config.workers, 3)
        XCTAssertEqual(config.maxBodySize, 10)
        XCTAssertEqual(config.origins["workers"], .environment(name: "GATEHOUSE_WORKERS"))
        XCTAssertEqual(config.origins["workers"]?.description, "GATEHOUSE_WORKERS")
        XCTAssertEqual(config.origins["max_body_size"]?.description, "\(path):2")

        XCTAssertEqual(try loadError(environment: ["GATEHOUSE_BIN": "/x"]),
                       "environment variable GATEHOUSE_BIN: unknown setting 'bin'")
        XCTAssertEqual(try loadError(environment: ["GATEHOUSE_WORKERS": "-1"]),
                       "environment variable GATEHOUSE_WORKERS: expected an integer from 0 to 256, got '-1'")
    }

    func testOptionsComeLastAndSayWhichOption() throws {
        let path = try file("listen = unix:/a.sock\n")
        let config = try Config.load(file: path, environment: ["GATEHOUSE_LISTEN": "unix:/b.sock"],
                                     options: [SettingOption(key: "listen", value: "unix:/c.sock", option: "--listen")])
        XCTAssertEqual(config.listen, .unix(path: "/c.sock"))
        XCTAssertEqual(config.origins["listen"]?.description, "option --listen")
        XCTAssertThrowsError(try Config.load(file: nil, environment: [:],
                                             options: [SettingOption(key: "socket_mode", value: "9", option: "--socket-mode")])) {
            XCTAssertEqual("\($0)", "option --socket-mode: expected an octal mode such as 0660, got '9'")
        }
    }

    func testSecretsAreMaskedAndNeverEchoed() throws {
        let secret = "a-secret-that-is-long-enough-for-hs256-0123"
        let config = try Config.load(file: nil, environment: ["GATEHOUSE_SECRET_KEY": secret])
        XCTAssertEqual(config.secretKey, secret)
        XCTAssertFalse(config.describe().contains(secret))
        XCTAssertTrue(config.describe().contains("********"))
        XCTAssertEqual(Config.setting("secret_key")?.value(in: Config()), "", "an unset secret is not shown as set")

        let error = try loadError(file: "secret_key = too-short-secret")
        XCTAssertTrue(error.contains("config key 'secret_key'"), error)
        XCTAssertTrue(error.contains("at least 32 bytes"), error)
        XCTAssertFalse(error.contains("too-short-secret"), error)
    }

    func testRestartOnlyChangesAreDetected() throws {
        let old = Config()
        var new = old
        new.workers = 7
        new.logLevel = .debug
        XCTAssertEqual(Config.restartOnlyChanges(from: old, to: new), [])
        new.listen = .tcp(host: "", port: 9000)
        new.socketMode = 0o600
        new.loginListen = .unix(path: "/l.sock")
        XCTAssertEqual(Config.restartOnlyChanges(from: old, to: new), ["listen", "socket_mode", "login_listen"])
    }

    func testChecksAcrossSettings() throws {
        let error = try loadError(file: "listen = unix:/g.sock\nlogin_listen = unix:/g.sock\n")
        XCTAssertTrue(error.contains("login_listen: must differ from listen"), error)
        XCTAssertEqual(try loadError(file: "listen = unix:/g.sock\nlogin_listen = unix:/g.sock\nlogin_pool = false\n"), "")
    }

    func testDemoInCodeOffersTheDemoScopes() throws {
        var config = Config()
        config.demo = true
        let fromFile = try Config.load(file: try file("demo = true\n"), environment: [:])
        XCTAssertEqual(config.scopes.map(\.name), ["me", "items"])
        XCTAssertEqual(config.scopes.map(\.name), fromFile.scopes.map(\.name))
        XCTAssertEqual(config.scopes.map(\.description), fromFile.scopes.map(\.description))
        config.scopes = [("own", "Own scope.")]
        XCTAssertEqual(config.scopes.map(\.name), ["own"], "declared scopes replace the demo's")
    }

    func testLoginListenIsDerived() throws {
        var config = Config()
        XCTAssertEqual(try config.loginListenAddress(), .unix(path: "/run/gatehouse/gatehouse-login.sock"))
        config.listen = .tcp(host: "[::1]", port: 8000)
        XCTAssertEqual(try config.loginListenAddress().description, "[::1]:8001")
        config.listen = .tcp(host: "", port: 65535)
        XCTAssertThrowsError(try config.loginListenAddress())
    }

    /// Uncommenting every `# key = value` of the example gives a file that parses to the defaults.
    func testExampleFileParsesBackToTheDefaults() throws {
        let example = Config.exampleFile()
        for setting in Config.settings {
            XCTAssertTrue(example.contains("\n# \(setting.key) ="), "\(setting.key) is missing from the example")
        }
        XCTAssertEqual(try loadError(file: example), "", "the example as printed is a valid file")
        let uncommented = example.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let body = line.dropFirst(2)
            guard line.hasPrefix("# "), let eq = body.firstIndex(of: "="),
                  let setting = Config.setting(body[..<eq].trimmingWhitespace()) else { return String(line) }
            let value = body[body.index(after: eq)...].trimmingWhitespace()
            return value.isEmpty && setting.defaultValue.isEmpty && setting.accepts.hasSuffix("or empty") || !value.isEmpty
                ? String(body) : String(line)
        }.joined(separator: "\n")
        let parsed = try Config.load(file: try file(uncommented), environment: [:])
        XCTAssertGreaterThan(parsed.origins.count, Config.settings.count / 2, "most lines were uncommented")
        for setting in Config.settings {
            XCTAssertEqual(setting.render(parsed), setting.defaultValue, setting.key)
        }
    }

    func testEveryKeyIsDeclaredOnceAndReadableFromTheEnvironment() throws {
        XCTAssertEqual(Set(Config.settings.map(\.key)).count, Config.settings.count)
        for setting in Config.settings {
            XCTAssertEqual(setting.environmentName, "GATEHOUSE_" + setting.key.uppercased())
            XCTAssertFalse(setting.help.isEmpty, setting.key)
            // The default, given back as text, is accepted and changes nothing.
            if !setting.defaultValue.isEmpty {
                let config = try Config.load(file: nil, environment: [setting.environmentName: setting.defaultValue])
                XCTAssertEqual(setting.render(config), setting.defaultValue, setting.key)
            }
        }
    }

    func testREADMESettingsTableIsTheGeneratedOne() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false)
        let begin = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("<!-- settings:begin") }, "README has no settings:begin marker")
        let end = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("<!-- settings:end") }, "README has no settings:end marker")
        let table = lines[(begin + 1)..<end].joined(separator: "\n") + "\n"
        XCTAssertEqual(table, Config.markdownTable(),
                       "README.md's settings table differs from Sources/Gatehouse/Config/Settings.swift: run `make readme-settings`")
    }
}
