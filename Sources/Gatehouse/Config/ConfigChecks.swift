/// A rule across settings, or about the files they name, checked once all of them are read.
public struct ConfigCheck: Sendable {
    public let name: String
    let run: @Sendable (Config) throws(ConfigError) -> Void
}

extension Config {
    public static let checks: [ConfigCheck] = [
        ConfigCheck(name: "login_listen differs from listen") { config throws(ConfigError) in
            if config.loginPool, let loginListen = config.loginListen, loginListen == config.listen {
                throw ConfigError("login_listen: must differ from listen ('\(config.listen)')")
            }
        },
    ]

    /// The first rule the configuration breaks, if any.
    public func check() throws(ConfigError) {
        for rule in Config.checks { try rule.run(self) }
    }
}
