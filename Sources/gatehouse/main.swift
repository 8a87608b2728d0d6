import ArgumentParser
import Gatehouse

struct GatehouseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "OAuth2 password login, JWT, API keys, scopes and CORS for an nginx site, as a FastCGI responder.",
        version: "gatehouse \(Version.current) (commit \(buildCommit))",
        subcommands: [ServeCommand.self, DoctorCommand.self, RequestCommand.self, MigrateCommand.self, UserCommand.self, RoleCommand.self, APIKeyCommand.self, SessionCommand.self, AuditCommand.self, MailCommand.self, InviteCommand.self, ConfigCommand.self]
    )
}

GatehouseEntry.main()
