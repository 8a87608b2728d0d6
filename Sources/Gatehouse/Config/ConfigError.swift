/// A setting that cannot be used; the message names the key and where it came from.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Where a setting's value came from.
public enum SettingOrigin: Sendable, Equatable, CustomStringConvertible {
    case defaultValue
    case file(path: String, line: Int)
    case environment(name: String)
    case option(name: String)

    /// As `config show` prints it: `default`, `FILE:LINE`, `GATEHOUSE_KEY`, `option --listen`.
    public var description: String {
        switch self {
        case .defaultValue: return "default"
        case .file(let path, let line): return "\(path):\(line)"
        case .environment(let name): return name
        case .option(let name): return "option \(name)"
        }
    }

    /// How an error message names the setting.
    func naming(_ key: String) -> String {
        switch self {
        case .defaultValue: return "setting '\(key)'"
        case .file(let path, let line): return "config key '\(key)' (\(path):\(line))"
        case .environment(let name): return "environment variable \(name)"
        case .option(let name): return "option \(name)"
        }
    }
}
