import ArgumentParser
import FoundationEssentials
import Glibc
import Gatehouse
import GatehouseServer

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check what commonly goes wrong; print each check with OK or FAIL and the fix.",
        discussion: """
            Looks at the socket folder and the sockets (both, when login_pool is on) against the \
            user nginx's workers run as, the data folder and the database's and key files' modes \
            and owners, PRAGMA integrity_check and the migration level, that each nginx location \
            passing to the socket cuts its own prefix off, and the clock. nginx's configuration \
            is read with `nginx -T` when nginx is on PATH (or --nginx-binary). Exits 0 only when \
            every check passes. Run it as root: nginx -T reads all of nginx's configuration.
            """)

    @Option(help: "Configuration file (default: $GATEHOUSE_CONFIG, if set).")
    var config: String?

    @Option(help: "The nginx binary to ask (default: nginx on PATH; none: skip the nginx checks).")
    var nginxBinary: String?

    @Option(help: "nginx's main configuration file (nginx -T -c FILE; default: nginx's own).")
    var nginxConf: String?

    func run() throws {
        let file = config ?? Environment.value(Config.fileVariable)
        let settings: Config
        do {
            settings = try Server.loadConfig(file: file)
        } catch {
            print(DoctorCommand.line(.fail("configuration", "\(error)", fix: "gatehouse config check \(file ?? "FILE") says more")))
            throw ExitCode(1)
        }
        let nginx = nginxBinary.map { $0 == "none" ? nil : $0 } ?? DoctorCommand.onPath("nginx")
        let checks = DoctorChecks(
            config: settings, configFile: file, serveAccount: settings.user.flatMap(Account.init(name:)),
            nginx: nginx.map { NginxConfig.read(binary: $0, conf: nginxConf) }, now: Store.now())
        let all = [DoctorCheck.ok("configuration", file ?? "defaults and GATEHOUSE_* only")] + checks.all
        for check in all { print(DoctorCommand.line(check)) }
        let failed = all.filter { !$0.passed }.count
        print(failed == 0 ? "all \(all.count) checks passed" : "\(failed) of \(all.count) checks failed")
        if failed > 0 { throw ExitCode(1) }
    }

    static func line(_ check: DoctorCheck) -> String {
        let head = "\(check.passed ? "OK  " : "FAIL") \(check.name): \(check.detail)"
        return check.fix.map { head + "\n     fix: \($0)" } ?? head
    }

    static func onPath(_ name: String) -> String? {
        let path = Environment.value("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        return (path.split(separator: ":") + ["/usr/sbin", "/sbin"]).map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
