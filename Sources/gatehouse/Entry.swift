import ArgumentParser
import Foundation

/// Chooses between CGI (REQUEST_METHOD set, stdin not a socket), FastCGI on an
/// inherited socket (fd 0 is a listening socket) and the command line.
enum GatehouseEntry {
    static func main() {
        GatehouseCommand.main()
    }
}
