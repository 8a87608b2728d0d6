import Glibc

public struct ServerError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
    static func system(_ what: String) -> ServerError { ServerError("\(what): \(String(cString: strerror(errno)))") }
}

/// The listening socket the workers share: a unix socket, a TCP address, or one that the
/// parent process (spawn-fcgi, lighttpd) handed over as file descriptor 0.
public struct Listener: Sendable {
    public let fd: Int32
    /// The socket file we created, removed again on shutdown; nil for TCP and inherited sockets.
    public let unixPath: String?
    public let description: String

    /// Backlog for listen(2): enough for bursts from nginx; the kernel caps it at somaxconn.
    static let backlog: Int32 = 1024

    /// `unix:/path` or `host:port` (`[v6]:port` too). `account` is who serve will run as:
    /// a socket folder it creates is that account's.
    public static func open(_ address: String, mode: UInt32, owner: String?,
                            account: Privileges.Account? = nil) throws(ServerError) -> Listener {
        let listener = address.hasPrefix("unix:")
            ? try openUnix(String(address.dropFirst(5)), mode: mode, owner: owner, account: account)
            : try openTCP(address)
        try listener.makeNonBlocking()
        return listener
    }

    /// Uses an inherited listening socket as it is.
    public static func inherited(fd: Int32) throws(ServerError) -> Listener {
        let listener = Listener(fd: fd, unixPath: nil, description: "inherited socket on fd \(fd)")
        try listener.makeNonBlocking()
        return listener
    }

    /// True when `fd` is a socket in the listening state (what spawn-fcgi and lighttpd pass as fd 0).
    public static func isListeningSocket(_ fd: Int32) -> Bool {
        var accepting: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 && accepting != 0
    }

    /// Closes our descriptor and removes the socket file we created.
    public func close() {
        _ = Glibc.close(fd)
        if let unixPath { unlink(unixPath) }
    }

    /// The workers wait in poll(2) and must get EAGAIN, not block, when another worker won the race.
    func makeNonBlocking() throws(ServerError) {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { throw .system("fcntl O_NONBLOCK") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    static func openUnix(_ path: String, mode: UInt32, owner: String?, account: Privileges.Account?) throws(ServerError) -> Listener {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard !pathBytes.isEmpty, pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw ServerError("unix socket path '\(path)' is empty or too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }

        try makeSocketFolder(of: path, account: account)
        try checkSocketFolder(of: path, account: account)
        try removeStaleSocket(path, address: address)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .system("socket") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            let error = ServerError.system("bind \(path)")
            _ = Glibc.close(fd)
            throw error
        }
        let listener = Listener(fd: fd, unixPath: path, description: "unix:\(path)")
        guard chmod(path, mode_t(mode)) == 0 else {
            let error = ServerError.system("chmod \(path)")
            listener.close()
            throw error
        }
        if let owner {
            do throws(ServerError) { try changeOwner(path, to: owner) } catch {
                listener.close()
                throw error
            }
        }
        guard listen(fd, backlog) == 0 else {
            let error = ServerError.system("listen \(path)")
            listener.close()
            throw error
        }
        return listener
    }

    /// /run is emptied at boot: the socket's folder is made when missing (0755, so the web
    /// server can reach the socket, whose own mode decides who may connect), and given to the
    /// account serve runs as, which removes its socket there when it stops.
    static func makeSocketFolder(of path: String, account: Privileges.Account?) throws(ServerError) {
        var parts = path.split(separator: "/").dropLast().map(String.init)
        var missing: [String] = []
        while !parts.isEmpty {
            let folder = "/" + parts.joined(separator: "/")
            if access(folder, F_OK) == 0 { break }
            missing.append(folder)
            parts.removeLast()
        }
        if !path.hasPrefix("/") { return }
        for folder in missing.reversed() {
            if mkdir(folder, 0o755) != 0 && errno != EEXIST { throw .system("mkdir \(folder)") }
            chmod(folder, 0o755)  // whatever the umask
        }
        if let account, geteuid() == 0, let folder = missing.first, chown(folder, account.uid, account.gid) != 0 {
            throw .system("chown \(folder)")
        }
    }

    /// Whoever may write the socket's folder may put their own socket where nginx connects
    /// (and read every password sent to it): only root, serve's own account, or a sticky folder.
    static func checkSocketFolder(of path: String, account: Privileges.Account?) throws(ServerError) {
        var folder = "."
        if let slash = path.lastIndex(of: "/") { folder = slash == path.startIndex ? "/" : String(path[..<slash]) }
        var info = stat()
        guard stat(folder, &info) == 0 else { throw .system("socket folder \(folder)") }
        let trusted: Set<uid_t> = [0, geteuid(), account?.uid ?? 0]
        if !trusted.contains(info.st_uid) {
            let name = getpwuid(info.st_uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(info.st_uid)"
            throw ServerError("socket folder \(folder) belongs to \(name), who could replace the socket nginx connects to: "
                + "chown it to root or to serve's user, or put the socket in a folder of Gatehouse's own")
        }
        if info.st_mode & 0o022 != 0 && info.st_mode & mode_t(S_ISVTX) == 0 {
            throw ServerError("socket folder \(folder) is writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8))), "
                + "who could replace the socket: chmod go-w \(folder)")
        }
    }

    /// A socket file left by a crashed run is removed; one that still answers belongs to a
    /// running server and is left alone; anything that is not a socket is never deleted.
    static func removeStaleSocket(_ path: String, address: sockaddr_un) throws(ServerError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw ServerError("\(path) exists and is not a socket") }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { _ = Glibc.close(probe) }
        var address = address
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected == 0 { throw ServerError("\(path) is in use by a running server") }
        unlink(path)
    }

    /// `USER`, `USER:GROUP` or `:GROUP`, names or numbers.
    static func changeOwner(_ path: String, to owner: String) throws(ServerError) {
        let parts = owner.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        var uid = uid_t.max  // (uid_t)-1: leave unchanged
        var gid = gid_t.max
        if let user = parts.first, !user.isEmpty {
            if let n = uid_t(user) { uid = n } else if let entry = getpwnam(user) { uid = entry.pointee.pw_uid } else {
                throw ServerError("socket owner: no user '\(user)'")
            }
        }
        if parts.count == 2, !parts[1].isEmpty {
            if let n = gid_t(parts[1]) { gid = n } else if let entry = getgrnam(parts[1]) { gid = entry.pointee.gr_gid } else {
                throw ServerError("socket owner: no group '\(parts[1])'")
            }
        }
        guard chown(path, uid, gid) == 0 else { throw .system("chown \(path) to \(owner)") }
    }

    static func openTCP(_ address: String) throws(ServerError) -> Listener {
        guard let colon = address.lastIndex(of: ":") else { throw ServerError("listen address '\(address)': expected unix:/path or host:port") }
        var host = String(address[..<colon])
        let port = String(address[address.index(after: colon)...])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let portNumber = UInt16(port) else { throw ServerError("listen address '\(address)': bad port") }

        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host.isEmpty ? nil : host, String(portNumber), &hints, &results)
        guard status == 0, let first = results else {
            throw ServerError("listen address '\(address)': \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(results) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { throw .system("socket") }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0, listen(fd, backlog) == 0 else {
            let error = ServerError.system("bind/listen \(address)")
            _ = Glibc.close(fd)
            throw error
        }
        return Listener(fd: fd, unixPath: nil, description: address)
    }
}
