import ArgumentParser
import Gatehouse
import GatehouseServer

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve FastCGI with two pools of prefork workers: the main one and one for logins.",
        discussion: """
            The login pool listens on its own socket (login_listen, by default next to listen: \
            gatehouse.sock gives gatehouse-login.sock, port P gives P+1) at a lower CPU priority \
            (login_nice); nginx sends POST /token there, so password hashing never makes other \
            requests wait. Both pools answer every route. --no-login-pool runs the main pool only.
            SIGHUP re-reads the configuration and replaces the workers without failing a request;
            SIGTERM or SIGINT lets the workers finish their requests, then exits 0.
            The options override the config keys listen, workers, login_listen, login_workers, \
            login_pool, socket_mode and socket_owner.
            """)

    @Option(help: "unix:/path/gatehouse.sock or host:port.")
    var listen: String?

    @Option(help: "Number of worker processes (default: one per core).")
    var workers: Int?

    @Option(help: "The login pool's socket (default: derived from --listen).")
    var loginListen: String?

    @Option(help: "Number of login worker processes (default: one per core).")
    var loginWorkers: Int?

    @Flag(inversion: .prefixedNo, help: "Run the login pool (default: the config key login_pool, true).")
    var loginPool: Bool? = nil

    @Option(help: "Mode of the unix socket, octal, e.g. 0660; the web server's user must be able to write it.")
    var socketMode: String?

    @Option(help: "Owner of the unix socket: USER, USER:GROUP or :GROUP.")
    var socketOwner: String?

    @Option(help: "Configuration file (default: $GATEHOUSE_CONFIG, if set).")
    var config: String?

    // On the command line a count is explicit: leaving the option out is what "one per core" is.
    func validate() throws {
        if let workers, !(1...256).contains(workers) { throw ValidationError("--workers: expected 1 to 256") }
        if let loginWorkers, !(1...256).contains(loginWorkers) { throw ValidationError("--login-workers: expected 1 to 256") }
    }

    /// The options given, as settings over the file and the environment.
    var settingOptions: [SettingOption] {
        let given: [(key: String, option: String, value: String?)] = [
            ("listen", "--listen", listen),
            ("workers", "--workers", workers.map(String.init)),
            ("login_listen", "--login-listen", loginListen),
            ("login_workers", "--login-workers", loginWorkers.map(String.init)),
            ("login_pool", loginPool == false ? "--no-login-pool" : "--login-pool", loginPool.map(String.init)),
            ("socket_mode", "--socket-mode", socketMode),
            ("socket_owner", "--socket-owner", socketOwner),
        ]
        return given.compactMap { entry in entry.value.map { SettingOption(key: entry.key, value: $0, option: entry.option) } }
    }

    /// The configuration with the options on top; called again on every SIGHUP.
    func loadConfig() throws -> Config {
        try Server.loadConfig(file: config, options: settingOptions)
    }

    func run() throws {
        let status = try GatehouseEntry.server.serve(reload: loadConfig)
        if status != 0 { throw ExitCode(status) }
    }
}
