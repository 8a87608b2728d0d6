import FoundationEssentials
import Glibc

/// A setting given on the command line, e.g. `gatehouse serve --listen`.
public struct SettingOption: Sendable {
    public var key: String
    public var value: String
    public var option: String
    public init(key: String, value: String, option: String) {
        self.key = key
        self.value = value
        self.option = option
    }
}

extension Config {
    /// The file (when given), then the `GATEHOUSE_<KEY>` environment variables (the process's
    /// when nil), then the command-line options, each over the one before; then the checks
    /// across settings.
    public static func load(file: String?, environment: [String: String]? = nil,
                            options: [SettingOption] = []) throws(ConfigError) -> Config
    {
        var config = Config()
        if let file { try config.read(file: file) }
        try config.apply(environment: environment ?? Environment.variables(prefixed: Config.environmentPrefix))
        for option in options { try config.set(option.key, option.value, origin: .option(name: option.option)) }
        try config.check()
        return config
    }

    /// The `key = value` lines of a file: `#` starts a comment line, a value may be in double
    /// quotes, and `scope.NAME = description` declares a scope.
    public mutating func read(file: String) throws(ConfigError) {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError("config file \(file): cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError("config file \(file): not UTF-8 text")
        }
        try read(text: text, path: file)
    }

    mutating func read(text: String, path: String) throws(ConfigError) {
        var scopes: [(name: String, description: String)] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let origin = SettingOrigin.file(path: path, line: index + 1)
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw ConfigError("config file \(path), line \(index + 1): expected 'key = value'")
            }
            let key = line[..<eq].trimmingWhitespace()
            var value = line[line.index(after: eq)...].trimmingWhitespace()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            if key.hasPrefix(Config.scopePrefix) {
                let name = String(key.dropFirst(Config.scopePrefix.count))
                guard Config.isScopeToken(name) else {
                    throw ConfigError("\(origin.naming(key)): a scope name is printable ASCII without spaces or quotes")
                }
                scopes.append((name, value))
                origins[key] = origin
                continue
            }
            try set(key, value, origin: origin)
        }
        if !scopes.isEmpty { declaredScopes = scopes }
    }

    static let scopePrefix = "scope."

    /// Every `GATEHOUSE_<KEY>` variable but GATEHOUSE_CONFIG must name a setting.
    mutating func apply(environment: [String: String]) throws(ConfigError) {
        for (name, value) in environment.sorted(by: { $0.key < $1.key })
        where name.hasPrefix(Config.environmentPrefix) && !Config.otherVariables.contains(name) {
            try set(name.dropFirst(Config.environmentPrefix.count).lowercased(), value, origin: .environment(name: name))
        }
    }
}
