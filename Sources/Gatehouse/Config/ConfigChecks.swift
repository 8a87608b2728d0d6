/// A rule across settings, or about the files they name, checked once all of them are read.
package struct ConfigCheck: Sendable {
    package let name: String
    let run: @Sendable (Config) throws(ConfigError) -> Void
}

extension Config {
    package static let checks: [ConfigCheck] = [
        ConfigCheck(name: "tokens live no longer than max_token_lifetime_minutes") { config throws(ConfigError) in
            if config.accessTokenExpireMinutes > config.maxTokenLifetimeMinutes {
                throw ConfigError("access_token_expire_minutes: \(config.accessTokenExpireMinutes) is longer than "
                    + "max_token_lifetime_minutes (\(config.maxTokenLifetimeMinutes)); no issued token would verify")
            }
        },
        ConfigCheck(name: "no credentials for every origin unless asked for") { config throws(ConfigError) in
            if config.corsAllowOrigins.contains("*"), config.corsAllowCredentials, !config.corsReflectAnyOriginWithCredentials {
                throw ConfigError("cors_allow_origins = * with cors_allow_credentials = true lets every site act as the "
                    + "signed-in user; list the origins, or set cors_reflect_any_origin_with_credentials = true")
            }
        },
        ConfigCheck(name: "a config file holding the secret is private") { config throws(ConfigError) in
            if config.secretKey != nil, case let .file(path, _)? = config.origins["secret_key"],
               let exposure = SecretStrength.exposure(of: path) {
                throw ConfigError("config file \(path) holds secret_key: \(exposure)")
            }
        },
        ConfigCheck(name: "the HMAC secret is random enough") { config throws(ConfigError) in
            if let secret = config.secretKey, !SecretStrength.isRandomEnough(Array(secret.utf8)) {
                throw ConfigError("secret_key: too little randomness (too few distinct characters); "
                    + "use e.g. `openssl rand -hex 32`")
            }
        },
        ConfigCheck(name: "login_listen differs from listen") { config throws(ConfigError) in
            if config.loginPool, let loginListen = config.loginListen, loginListen == config.listen {
                throw ConfigError("login_listen: must differ from listen ('\(config.listen)')")
            }
        },
        ConfigCheck(name: "mail has a sender, links and a way out") { config throws(ConfigError) in
            if config.requireVerifiedEmail, !config.sendsMail {
                throw ConfigError("require_verified_email = true needs a mail_transport other than none")
            }
            guard config.sendsMail else { return }
            if config.publicURL == nil { throw ConfigError("mail_transport = \(config.mailTransport.rawValue) needs public_url (links in mail)") }
            if config.mailFrom == nil { throw ConfigError("mail_transport = \(config.mailTransport.rawValue) needs mail_from") }
            if config.mailTransport == .smtp, config.smtpURL == nil { throw ConfigError("mail_transport = smtp needs smtp_url") }
        },
    ]

    /// The first rule the configuration breaks, if any.
    package func check() throws(ConfigError) {
        for rule in Config.checks { try rule.run(self) }
    }
}
