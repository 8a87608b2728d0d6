import ArgumentParser
import Gatehouse
import GatehouseServer

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve FastCGI on a unix socket or TCP address with a pool of prefork workers.",
        discussion: """
            SIGHUP re-reads the configuration and replaces the workers without failing a request;
            SIGTERM or SIGINT lets the workers finish their requests, then exits 0.
            The options override the config keys listen, workers, socket_mode and socket_owner.
            """)

    @Option(help: "unix:/path/gatehouse.sock or host:port.")
    var listen: String?

    @Option(help: "Number of worker processes (default: one per core).")
    var workers: Int?

    @Option(help: "Mode of the unix socket, octal, e.g. 0660; the web server's user must be able to write it.")
    var socketMode: String?

    @Option(help: "Owner of the unix socket: USER, USER:GROUP or :GROUP.")
    var socketOwner: String?

    @Option(help: "Configuration file (default: $GATEHOUSE_CONFIG, if set).")
    var config: String?

    func validate() throws {
        if let workers, !(1...256).contains(workers) { throw ValidationError("--workers: expected 1 to 256") }
        if let socketMode, UInt32(socketMode, radix: 8).map({ $0 > 0o777 }) ?? true {
            throw ValidationError("--socket-mode: expected an octal mode such as 0660")
        }
    }

    /// The configuration with the options on top; called again on every SIGHUP.
    func loadConfig() throws -> Config {
        var loaded = try GatehouseEntry.loadConfig(file: config)
        if let listen { loaded.listen = listen }
        if let workers { loaded.workers = workers }
        if let socketMode, let mode = UInt32(socketMode, radix: 8) { loaded.socketMode = mode }
        if let socketOwner { loaded.socketOwner = socketOwner.isEmpty ? nil : socketOwner }
        return loaded
    }

    func run() throws {
        let settings = try loadConfig()
        try App.prepare(config: settings)
        let listener = try Listener.open(settings.listen, mode: settings.socketMode, owner: settings.socketOwner)
        let supervisor = Supervisor(
            listener: listener, config: settings, reload: loadConfig, factory: GatehouseEntry.makeApp,
            logger: GatehouseEntry.logger(settings, label: "gatehouse.serve"))
        let status = supervisor.run()
        if status != 0 { throw ExitCode(status) }
    }
}
