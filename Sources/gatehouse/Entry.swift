import ArgumentParser
import Foundation
import Gatehouse
import GatehouseServer
import Logging

/// Chooses between FastCGI on an inherited socket (fd 0 is a listening socket, as
/// spawn-fcgi and lighttpd's bin-path start us), CGI (REQUEST_METHOD set) and the
/// command line.
enum GatehouseEntry {
    static func main() {
        LoggingSystem.bootstrap { EscapingLogHandler(StreamLogHandler.standardError(label: $0)) }
        if Listener.isListeningSocket(0) {
            exit(serveInheritedSocket())
        }
        if ProcessInfo.processInfo.environment["REQUEST_METHOD"] != nil {
            exit(answerCGI())
        }
        GatehouseCommand.main()
    }

    /// Builds the App a worker (or a CGI run) serves with; runs in the worker after fork.
    static let makeApp: AppFactory = { config, hashLimiter, failureLedger in
        try App.open(config: config, logger: logger(config), hashLimiter: hashLimiter, failureLedger: failureLedger)
    }

    static func logger(_ config: Config, label: String = "gatehouse") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = config.logLevel
        return logger
    }

    /// The file from `--config`, else from GATEHOUSE_CONFIG; then the GATEHOUSE_* variables, then `options`.
    static func loadConfig(file: String?, options: [SettingOption] = []) throws(ConfigError) -> Config {
        try Config.load(file: file ?? ProcessInfo.processInfo.environment[Config.fileVariable], options: options)
    }

    static func serveInheritedSocket() -> Int32 {
        // The process manager that passed the socket decides how many of us run:
        // one worker unless the configuration asks for more.
        let load = { () throws -> Config in
            var config = try loadConfig(file: nil)
            if config.workers == 0 { config.workers = 1 }
            return config
        }
        do {
            let config = try load()
            try App.prepare(config: config)
            let supervisor = Supervisor(
                listener: try Listener.inherited(fd: 0), config: config, reload: load, factory: makeApp,
                logger: logger(config, label: "gatehouse.serve"))
            return supervisor.run()
        } catch {
            FileHandle.standardError.write(Data("gatehouse: \(error)\n".utf8))
            return 1
        }
    }

    static func answerCGI() -> Int32 {
        do {
            let config = try loadConfig(file: nil)
            return CGIResponder.respond(app: try makeApp(config, nil, nil))
        } catch {
            FileHandle.standardError.write(Data("gatehouse: \(error)\n".utf8))
            _ = CGIResponder.writeAll(1, HTTPError.internalServerError.response.serialized())
            return 1
        }
    }
}
