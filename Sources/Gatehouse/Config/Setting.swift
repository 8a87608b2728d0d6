/// One setting, declared once: its key, what it accepts, its help, whether a running server
/// needs a restart to take it, whether it is a secret, and the `Config` property it fills.
/// The file parser, the environment, `gatehouse serve`'s options, the error messages,
/// `config show`, the example file and the README table all come from these.
package struct Setting: Sendable {
    package let key: String
    package let help: String
    /// What the value may be: "0 to 256", "one of …", "true or false".
    package var accepts: String { describe() }
    /// SIGHUP re-reads it, but the listening sockets keep the old value until a restart.
    package let restartOnly: Bool
    /// Never printed, never echoed in an error.
    package let secret: Bool
    /// The default in words, where the property's default means something else (0 = one per core).
    let defaultNote: String?
    private let describe: @Sendable () -> String
    let assign: @Sendable (inout Config, String) throws(ValueError) -> Void
    let render: @Sendable (Config) -> String

    /// The property and the type are taken unevaluated: the table is built whole, but each
    /// key path and type is made only when its setting is used (a CGI request reads a few
    /// settings, and would otherwise instantiate a hundred key paths at every start).
    init<Value>(_ key: String, _ property: @autoclosure @escaping @Sendable () -> WritableKeyPath<Config, Value> & Sendable,
                _ type: @autoclosure @escaping @Sendable () -> SettingType<Value>,
                restartOnly: Bool = false, secret: Bool = false, default defaultNote: String? = nil, help: String)
    {
        self.key = key
        self.help = help
        self.restartOnly = restartOnly
        self.secret = secret
        self.defaultNote = defaultNote
        describe = { type().accepts }
        assign = { config, text throws(ValueError) in config[keyPath: property()] = try type().parse(text) }
        render = { type().format($0[keyPath: property()]) }
    }

    package var environmentName: String { Config.environmentPrefix + key.uppercased() }

    /// The value as the file would say it; a secret that is set reads `********`.
    package func value(in config: Config) -> String {
        let text = render(config)
        return secret && !text.isEmpty ? "********" : text
    }

    /// The default as the file would say it (empty: unset).
    package var defaultValue: String { render(Config()) }

    /// The default for a reader: the note where there is one, else the value.
    package var defaultDescription: String { defaultNote ?? (defaultValue.isEmpty ? "unset" : defaultValue) }
}

/// Settings that belong together, for the example file.
package struct SettingSection: Sendable {
    package let title: String
    package let settings: [Setting]
}

extension Config {
    package static let environmentPrefix = "GATEHOUSE_"
    /// Names the config file where no --config can be given (CGI, spawn-fcgi); not a setting.
    package static let fileVariable = "GATEHOUSE_CONFIG"
    /// The environment's GATEHOUSE_* names that are no setting: the file, and a FastCGI
    /// authorizer's rule (lighttpd's bin-environment).
    static let otherVariables: Set<String> = [fileVariable, "GATEHOUSE_REQUIRE"]

    package static let settings: [Setting] = sections.flatMap(\.settings)
    static let settingsByKey = Dictionary(uniqueKeysWithValues: settings.map { ($0.key, $0) })

    package static func setting(_ key: String) -> Setting? { settingsByKey[key] }

    /// Sets one setting from its text, remembering where it came from.
    package mutating func set(_ key: String, _ text: String, origin: SettingOrigin) throws(ConfigError) {
        guard let setting = Config.settingsByKey[key] else {
            throw ConfigError("\(origin.naming(key)): unknown setting '\(key)'")
        }
        do {
            try setting.assign(&self, text)
        } catch {
            throw ConfigError("\(origin.naming(key)): \(error.message)" + (setting.secret ? "" : ", got '\(text)'"))
        }
        origins[key] = origin
    }

    /// The restart-only settings whose values differ between the two.
    package static func restartOnlyChanges(from old: Config, to new: Config) -> [String] {
        settings.filter { $0.restartOnly && $0.render(old) != $0.render(new) }.map(\.key)
    }
}
