import FoundationEssentials
import Glibc
import GatehouseServer

/// Chooses between FastCGI on an inherited socket (fd 0 is a listening socket, as
/// spawn-fcgi and lighttpd's bin-path start us), CGI (REQUEST_METHOD set) and the
/// command line.
enum GatehouseEntry {
    static let server = Server(commit: buildCommit)

    static func main() {
        Server.bootstrapLogging()
        if let status = server.answerWhatTheEnvironmentAsks() { exit(status) }
        GatehouseCommand.main()
    }
}
