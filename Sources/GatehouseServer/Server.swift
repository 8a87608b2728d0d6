import FoundationEssentials
import Glibc
import Gatehouse
import Logging

/// Gatehouse as the server of any executable, with the site's own routes behind the same
/// security: `Server(routes: …).main()` is all such a binary needs, as Go's
/// `fcgi.Serve(listener, handler)` is. It answers FastCGI on an inherited socket
/// (spawn-fcgi, lighttpd), one CGI request, or `serve [--config FILE]` with both pools.
public struct Server: Sendable {
    public typealias Routes = @Sendable (Schemes) -> [Route]
    public let routes: Routes
    /// The build's git commit, for /metrics' gatehouse_build_info.
    public let commit: String

    public init(routes: @escaping Routes = { _ in [] }, commit: String = "unknown") {
        self.routes = routes
        self.commit = commit
    }

    /// The route labels of the App a configuration builds, for the master's metrics.
    var routeLabels: (Config) -> [String] {
        let routes = self.routes
        return { App.routeLabels(config: $0, extraRoutes: routes) }
    }

    /// Builds a worker's App after fork.
    public var factory: AppFactory {
        let routes = self.routes
        let commit = self.commit
        return { config, hashLimiter, failureLedger, metrics in
            try App.open(config: config, logger: Server.logger(config), hashLimiter: hashLimiter, failureLedger: failureLedger,
                         metrics: metrics ?? LocalMetrics(commit: commit), extraRoutes: routes)
        }
    }

    /// The one App of a CGI run: its store is opened only if the request reads it.
    func cgiApp(_ config: Config) throws -> App {
        try App.open(config: config, logger: Server.logger(config), metrics: LocalMetrics(commit: commit), extraRoutes: routes,
                     deferredStore: true)
    }

    public static func logger(_ config: Config, label: String = "gatehouse") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = config.logLevel
        return logger
    }

    /// Every log line escaped, to standard error.
    public static func bootstrapLogging() {
        LoggingSystem.bootstrap { EscapingLogHandler(StreamLogHandler.standardError(label: $0), label: $0) }
    }

    /// The file named by GATEHOUSE_CONFIG (when `file` is nil), the environment, then `options`.
    public static func loadConfig(file: String?, options: [SettingOption] = []) throws(ConfigError) -> Config {
        let config = try Config.load(file: file ?? Environment.value(Config.fileVariable), options: options)
        LogFormat.current = config.logFormat
        return config
    }

    /// For an executable of a site's own: an inherited socket, a CGI request, or
    /// `serve [--config FILE] [--SETTING VALUE …]` (any setting, `-` for `_`: `--listen unix:/x.sock`).
    public func main(arguments: [String] = CommandLine.arguments) -> Never {
        Server.bootstrapLogging()
        if let status = answerWhatTheEnvironmentAsks() { exit(status) }
        var file: String?
        var options: [SettingOption] = []
        var rest = arguments.dropFirst()
        if rest.first == "serve" { rest.removeFirst() }
        while let argument = rest.popFirst() {
            guard argument.hasPrefix("--"), let value = rest.popFirst() else {
                StandardError.write("usage: \(arguments.first ?? "server") [serve] [--config FILE] [--SETTING VALUE]…\n")
                exit(64)
            }
            if argument == "--config" { file = value; continue }
            options.append(SettingOption(key: String(argument.dropFirst(2)).replacing("-", with: "_"), value: value,
                                         option: argument))
        }
        do {
            exit(try serve(reload: { [options] in try Server.loadConfig(file: file, options: options) }))
        } catch {
            StandardError.write("\(arguments.first ?? "server"): \(error)\n")
            exit(1)
        }
    }

    /// The answer when fd 0 is a listening socket or REQUEST_METHOD is set; nil otherwise.
    public func answerWhatTheEnvironmentAsks() -> Int32? {
        if Listener.isListeningSocket(0) { return serveInheritedSocket() }
        if Environment.value("REQUEST_METHOD") != nil { return answerCGI() }
        return nil
    }

    /// `serve`: binds both pools' sockets, prepares the store and keys, becomes `user`, and
    /// runs the workers until SIGTERM. `reload` is read again on every SIGHUP.
    public func serve(reload: @escaping () throws -> Config) throws -> Int32 {
        let settings = try reload()
        let logger = Server.logger(settings, label: "gatehouse.serve")
        let account = try Privileges.account(user: settings.user, group: settings.group)
        for warning in try App.prepare(config: settings) { logger.warning("\(warning)") }
        let loginAddress = settings.loginPool ? try settings.loginListenAddress() : nil
        let listener = try Listener.open(settings.listen.description, mode: settings.socketMode, owner: settings.socketOwner,
                                         account: account)
        var pools = [WorkerPool.main(listener)]
        do {
            if let loginAddress {
                pools.append(.login(try Listener.open(loginAddress.description, mode: settings.socketMode, owner: settings.socketOwner,
                                                      account: account)))
            }
            if let account {
                try Privileges.handOver(Privileges.ownedFiles(settings), to: account)
                try Privileges.drop(to: account)
                logger.info("running as uid \(account.uid), gid \(account.gid)")
            }
        } catch {
            for pool in pools { pool.listener.close() }
            throw error
        }
        return Supervisor(pools: pools, config: settings, reload: reload, factory: factory, logger: logger,
                          routeLabels: routeLabels, commit: commit).run()
    }

    /// The process manager that passed the socket decides how many of us run: one worker
    /// unless the configuration asks for more. Started as root (spawn-fcgi without -u), with
    /// `user =`, it prepares the files, hands them to that user and becomes it, as serve does.
    public func serveInheritedSocket() -> Int32 {
        let load = { () throws -> Config in
            var config = try Server.loadConfig(file: nil)
            if config.workers == 0 { config.workers = 1 }
            return config
        }
        do {
            let config = try load()
            let account = try Privileges.account(user: config.user, group: config.group)
            let logger = Server.logger(config, label: "gatehouse.serve")
            for warning in try App.prepare(config: config) { logger.warning("\(warning)") }
            if let account {
                try Privileges.handOver(Privileges.ownedFiles(config), to: account)
                try Privileges.drop(to: account)
            }
            let supervisor = Supervisor(
                listener: try Listener.inherited(fd: 0), config: config, reload: load, factory: factory,
                logger: logger, routeLabels: routeLabels, commit: commit)
            return supervisor.run()
        } catch {
            StandardError.write("gatehouse: \(error)\n")
            return 1
        }
    }

    public func answerCGI() -> Int32 {
        do {
            let config = try Server.loadConfig(file: nil)
            return CGIResponder.respond(app: try cgiApp(config))
        } catch {
            StandardError.write("gatehouse: \(error)\n")
            _ = CGIResponder.writeAll(1, HTTPError.internalServerError.response.serialized())
            return 1
        }
    }
}
