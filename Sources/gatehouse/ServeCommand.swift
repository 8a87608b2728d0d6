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

    func validate() throws {
        if let workers, !(1...256).contains(workers) { throw ValidationError("--workers: expected 1 to 256") }
        if let loginWorkers, !(1...256).contains(loginWorkers) { throw ValidationError("--login-workers: expected 1 to 256") }
        if let socketMode, UInt32(socketMode, radix: 8).map({ $0 > 0o777 }) ?? true {
            throw ValidationError("--socket-mode: expected an octal mode such as 0660")
        }
    }

    /// The configuration with the options on top; called again on every SIGHUP.
    func loadConfig() throws -> Config {
        var loaded = try GatehouseEntry.loadConfig(file: config)
        if let listen { loaded.listen = listen }
        if let workers { loaded.workers = workers }
        if let loginListen { loaded.loginListen = loginListen }
        if let loginWorkers { loaded.loginWorkers = loginWorkers }
        if let loginPool { loaded.loginPool = loginPool }
        if let socketMode, let mode = UInt32(socketMode, radix: 8) { loaded.socketMode = mode }
        if let socketOwner { loaded.socketOwner = socketOwner.isEmpty ? nil : socketOwner }
        return loaded
    }

    func run() throws {
        let settings = try loadConfig()
        try App.prepare(config: settings)
        let loginAddress = settings.loginPool ? try settings.loginListenAddress() : nil
        let listener = try Listener.open(settings.listen, mode: settings.socketMode, owner: settings.socketOwner)
        var pools = [WorkerPool.main(listener)]
        if let loginAddress {
            do {
                pools.append(.login(try Listener.open(loginAddress, mode: settings.socketMode, owner: settings.socketOwner)))
            } catch {
                listener.close()
                throw error
            }
        }
        let supervisor = Supervisor(
            pools: pools, config: settings, reload: loadConfig, factory: GatehouseEntry.makeApp,
            logger: GatehouseEntry.logger(settings, label: "gatehouse.serve"))
        let status = supervisor.run()
        if status != 0 { throw ExitCode(status) }
    }
}
