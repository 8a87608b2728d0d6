import FoundationEssentials
import Gatehouse
import Glibc

struct DoctorProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One thing doctor looked at: what it is, what it found, and when that is wrong, how to fix it.
struct DoctorCheck {
    let name: String
    let detail: String
    /// nil when it passes.
    let fix: String?

    static func ok(_ name: String, _ detail: String) -> DoctorCheck { DoctorCheck(name: name, detail: detail, fix: nil) }
    static func fail(_ name: String, _ detail: String, fix: String) -> DoctorCheck { DoctorCheck(name: name, detail: detail, fix: fix) }

    var passed: Bool { fix == nil }
}

/// An account as the kernel checks file access for it.
struct Account {
    let name: String
    let uid: uid_t
    let gids: Set<gid_t>

    init?(name: String) {
        guard let entry = getpwnam(name) else { return nil }
        self.name = name
        uid = entry.pointee.pw_uid
        let primary = entry.pointee.pw_gid
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: 64)
        if getgrouplist(name, primary, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(name, primary, &groups, &count)
        }
        gids = Set(groups.prefix(Int(max(count, 0)))).union([primary])
    }

    /// Whether the permission bits `bits` (4 read, 2 write, 1 search) of `info` are granted to this account.
    func may(_ bits: mode_t, _ info: stat) -> Bool {
        if uid == 0 { return true }
        if info.st_uid == uid { return info.st_mode & (bits << 6) == bits << 6 }
        if gids.contains(info.st_gid) { return info.st_mode & (bits << 3) == bits << 3 }
        return info.st_mode & bits == bits
    }

    /// The first folder above `path` this account cannot search, if any.
    func blockedFolder(above path: String) -> String? {
        var folder = FilePath.directory(of: path)
        var folders: [String] = []
        while !folder.isEmpty && folder != "/" {
            folders.append(folder)
            folder = FilePath.directory(of: folder)
        }
        for folder in folders.reversed() {
            guard let info = FileInfo.stat(folder) else { return folder }
            if !may(1, info) { return folder }
        }
        return nil
    }
}

enum FileInfo {
    static func stat(_ path: String) -> stat? {
        var info = Glibc.stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    static func mode(_ info: stat) -> String { String(info.st_mode & 0o7777, radix: 8).leftPadded(to: 4) }

    static func owner(_ info: stat) -> String {
        let user = getpwuid(info.st_uid).map { String(cString: $0.pointee.pw_name) } ?? String(info.st_uid)
        let group = getgrgid(info.st_gid).map { String(cString: $0.pointee.gr_name) } ?? String(info.st_gid)
        return "\(user):\(group)"
    }

    static func describe(_ info: stat) -> String { "mode \(mode(info)), owner \(owner(info))" }
}

/// The checks, in the order they are printed. Each is a small function of the configuration
/// (and what nginx says, when nginx is there).
struct DoctorChecks {
    let config: Config
    let configFile: String?
    /// The account serve runs as (`user`), if set and it exists.
    let serveAccount: Account?
    let nginx: Result<NginxConfig, DoctorProblem>?
    let now: Int64

    var all: [DoctorCheck] {
        var checks = [userCheck()]
        checks += socketChecks()
        checks.append(dataFolder())
        if config.databaseIsPostgreSQL {
            checks.append(.ok("database", "PostgreSQL: its integrity, migration level and clock are the server's to check"))
            if let file = config.databasePasswordFile {
                checks.append(privateFile("database password file", file, missing: "restore the file named by database_password_file"))
            }
        } else {
            checks += [database(), integrity(), migrations()]
        }
        checks += keyFiles()
        checks += nginxChecks()
        checks.append(clock())
        return checks
    }

    func userCheck() -> DoctorCheck {
        guard let user = config.user else {
            return .ok("user", "not set: serve keeps the account that starts it")
        }
        guard serveAccount != nil else {
            return .fail("user", "user = \(user): no such user",
                         fix: "create it (useradd --system --user-group --home-dir \(config.dataDir) --shell /usr/sbin/nologin \(user)) or fix user =")
        }
        if let group = config.group, getgrnam(group) == nil {
            return .fail("user", "group = \(group): no such group", fix: "create it (groupadd --system \(group)) or fix group =")
        }
        return .ok("user", "serve runs as \(user)\(config.group.map { ":\($0)" } ?? "")")
    }

    var nginxUser: Account? {
        guard case let .success(nginx)? = nginx else { return nil }
        return Account(name: nginx.workerUser)
    }

    /// The sockets nginx connects to: the main one, and the login pool's when it runs.
    var sockets: [(name: String, path: String)] {
        var sockets: [(String, String)] = []
        if case let .unix(path) = config.listen { sockets.append(("socket", path)) }
        if config.loginPool, case let .unix(path)? = try? config.loginListenAddress() { sockets.append(("login socket", path)) }
        return sockets
    }

    func socketChecks() -> [DoctorCheck] {
        guard !sockets.isEmpty else { return [.ok("socket", "listen = \(config.listen): TCP, no socket file to check")] }
        var checks: [DoctorCheck] = []
        let folder = FilePath.directory(of: sockets[0].path)
        checks.append(socketFolder(folder))
        for socket in sockets { checks.append(self.socket(socket.name, socket.path)) }
        return checks
    }

    func socketFolder(_ folder: String) -> DoctorCheck {
        let name = "socket folder \(folder)"
        guard let info = FileInfo.stat(folder), info.st_mode & S_IFMT == S_IFDIR else {
            return .fail(name, "missing", fix: "start gatehouse serve (it creates the folder), or install -d -m 0755 \(folder)")
        }
        let owners: Set<uid_t> = [0, getuid(), serveAccount?.uid ?? 0]
        if !owners.contains(info.st_uid) {
            return .fail(name, "\(FileInfo.describe(info)): another account could replace the sockets",
                         fix: "chown \(config.user ?? "root") \(folder), or pick a folder of Gatehouse's own in listen =")
        }
        if info.st_mode & 0o022 != 0, info.st_mode & S_ISVTX == 0 {
            return .fail(name, "\(FileInfo.describe(info)): others may replace the sockets", fix: "chmod go-w \(folder)")
        }
        if let nginxUser, let blocked = nginxUser.blockedFolder(above: folder + "/x") {
            return .fail(name, "nginx's user \(nginxUser.name) cannot reach it: \(blocked) is closed to it",
                         fix: "chmod o+x \(blocked) (or give its group to \(nginxUser.name))")
        }
        return .ok(name, FileInfo.describe(info))
    }

    func socket(_ name: String, _ path: String) -> DoctorCheck {
        let name = "\(name) \(path)"
        guard let info = FileInfo.stat(path) else {
            let why = name.hasPrefix("login") ? "missing while login_pool is on (nginx sends POST /token there)" : "missing"
            return .fail(name, why, fix: "start gatehouse serve with this configuration (login_pool = false if nginx uses one socket)")
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            return .fail(name, "exists but is not a socket", fix: "remove \(path) and restart gatehouse")
        }
        guard Self.answers(path) else {
            return .fail(name, "nobody listens on it (a stale socket)", fix: "start gatehouse serve; it replaces a stale socket")
        }
        if let nginxUser, !nginxUser.may(2, info) {
            return .fail(name, "\(FileInfo.describe(info)): nginx's user \(nginxUser.name) cannot connect (nginx answers 502)",
                         fix: "socket_owner = \(config.user ?? "root"):\(Self.primaryGroup(nginxUser.name)) and socket_mode = 0660, then restart gatehouse")
        }
        return .ok(name, FileInfo.describe(info) + (nginxUser.map { ", nginx's user \($0.name) can connect" } ?? ""))
    }

    static func primaryGroup(_ user: String) -> String {
        guard let entry = getpwnam(user), let group = getgrgid(entry.pointee.pw_gid) else { return user }
        return String(cString: group.pointee.gr_name)
    }

    static func answers(_ path: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        } == 0
    }

    /// A file only Gatehouse may read: no bits for group or others, owned by serve's user when set.
    func privateFile(_ name: String, _ path: String, missing: String) -> DoctorCheck {
        let name = "\(name) \(path)"
        guard let info = FileInfo.stat(path) else { return .fail(name, "missing", fix: missing) }
        if info.st_mode & 0o077 != 0 {
            return .fail(name, "\(FileInfo.describe(info)): group or others can read it", fix: "chmod 0600 \(path)")
        }
        if let serveAccount, info.st_uid != serveAccount.uid {
            return .fail(name, "\(FileInfo.describe(info)): \(serveAccount.name) cannot use it", fix: "chown \(serveAccount.name) \(path)")
        }
        return .ok(name, FileInfo.describe(info))
    }

    func dataFolder() -> DoctorCheck {
        let path = config.dataDir
        let name = "data folder \(path)"
        guard let info = FileInfo.stat(path), info.st_mode & S_IFMT == S_IFDIR else {
            return .fail(name, "missing", fix: "install -d -m 0700\(config.user.map { " -o \($0)" } ?? "") \(path), then gatehouse migrate")
        }
        if info.st_mode & 0o077 != 0 {
            return .fail(name, "\(FileInfo.describe(info)): group or others can enter it", fix: "chmod 0700 \(path)")
        }
        if let serveAccount, info.st_uid != serveAccount.uid {
            return .fail(name, "\(FileInfo.describe(info)): \(serveAccount.name) cannot write it", fix: "chown -R \(serveAccount.name) \(path)")
        }
        return .ok(name, FileInfo.describe(info))
    }

    func database() -> DoctorCheck {
        privateFile("database", config.databasePath, missing: "gatehouse migrate --config \(configFile ?? "FILE") creates it")
    }

    func integrity() -> DoctorCheck {
        do {
            let inspection = try StoreInspection.inspect(path: config.databasePath)
            guard inspection.isIntact else {
                return .fail("database integrity", inspection.integrity.prefix(3).joined(separator: "; "),
                             fix: "stop gatehouse and restore \(config.databasePath) from a backup (sqlite3 .recover may save rows)")
            }
            return .ok("database integrity", "PRAGMA integrity_check: ok")
        } catch {
            return .fail("database integrity", "\(error)",
                         fix: "stop gatehouse and restore \(config.databasePath) from a backup (sqlite3 .recover may save rows)")
        }
    }

    func migrations() -> DoctorCheck {
        let latest = Store.latestSchemaVersion
        guard let inspection = try? StoreInspection.inspect(path: config.databasePath) else {
            return .fail("migrations", "cannot read the migration level", fix: "see database integrity")
        }
        if inspection.schemaVersion > latest {
            return .fail("migrations", "the database is at migration \(inspection.schemaVersion), newer than this binary's \(latest)",
                         fix: "run the gatehouse release that migrated it (or newer); this one does not know its tables")
        }
        if inspection.schemaVersion < latest {
            return .fail("migrations", "the database is at migration \(inspection.schemaVersion) of \(latest)",
                         fix: "gatehouse migrate --config \(configFile ?? "FILE") (serve also migrates when it starts)")
        }
        return .ok("migrations", "at \(latest), this binary's latest")
    }

    func keyFiles() -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        if config.secretKey == nil && config.jwtAlgorithm.family == .hmac {
            checks.append(privateFile("secret key file", config.secretKeyPath,
                                      missing: "restore it from a backup, or restart gatehouse to generate a new one (every token issued before stops verifying)"))
        } else if config.secretKey != nil {
            checks.append(.ok("secret key", "secret_key is set in the configuration"))
        }
        if let key = config.jwtPrivateKeyFile {
            checks.append(privateFile("jwt private key", key, missing: "restore the PEM file named by jwt_private_key_file"))
        }
        for key in config.jwtVerifyKeys {
            let name = "verify key \(key.path)"
            checks.append(FileInfo.stat(key.path) == nil
                ? .fail(name, "missing", fix: "restore it or remove it from jwt_verify_keys")
                : .ok(name, "present"))
        }
        if config.identityAssertion {
            checks.append(privateFile("identity assertion key", config.identityAssertionKeyPath,
                                      missing: "restart gatehouse to generate one (upstreams fetch the new public key from jwks.json)"))
        }
        return checks
    }

    func nginxChecks() -> [DoctorCheck] {
        switch nginx {
        case nil:
            return [.ok("nginx", "not on PATH: nothing to compare (--nginx-binary to point at it)")]
        case let .failure(problem)?:
            return [.fail("nginx", problem.description, fix: "nginx -t shows the error; fix it, then run doctor again")]
        case let .success(nginx)?:
            var checks: [DoctorCheck] = []
            if Account(name: nginx.workerUser) == nil {
                checks.append(.fail("nginx user", "user \(nginx.workerUser) does not exist", fix: "fix nginx's user directive"))
            } else {
                checks.append(.ok("nginx user", "nginx's workers run as \(nginx.workerUser)"))
            }
            for socket in sockets {
                let mounts = nginx.mounts(reaching: socket.path)
                guard !mounts.isEmpty || socket.name.hasPrefix("login") else {
                    checks.append(.fail("nginx prefix", "no location passes requests to unix:\(socket.path)",
                                        fix: "include gatehouse.conf in your server { } with this socket's path"))
                    continue
                }
                for mount in mounts {
                    let name = "nginx prefix \(mount.path)"
                    guard let prefix = mount.splitPrefix else {
                        checks.append(.fail(name, "no fastcgi_split_path_info: Gatehouse would get the whole path as PATH_INFO",
                                            fix: "copy the location from gatehouse.conf, with its fastcgi_split_path_info"))
                        continue
                    }
                    if mount.path.hasPrefix(prefix + "/") || mount.path == prefix {
                        checks.append(.ok(name, "fastcgi_split_path_info cuts \(prefix.isEmpty ? "nothing" : prefix) off"))
                    } else {
                        checks.append(.fail(name, "fastcgi_split_path_info cuts \(prefix) off, but the location is \(mount.path)",
                                            fix: "replace /auth with your prefix in both the location and the fastcgi_split_path_info line"))
                    }
                }
            }
            return checks
        }
    }

    /// The clock must not stand behind what the store already recorded, nor be absurd.
    func clock() -> DoctorCheck {
        let earliest: Int64 = 1_735_689_600  // 2025-01-01, before any release
        if now < earliest {
            return .fail("clock", "it says \(Self.iso(now)), before this release existed",
                         fix: "set the clock (timedatectl set-ntp true, or chronyc makestep)")
        }
        if !config.databaseIsPostgreSQL, let newest = try? StoreInspection.inspect(path: config.databasePath).newestTime,
           newest > now + 60 {
            return .fail("clock", "it says \(Self.iso(now)), \(newest - now) s behind the newest record in the store (\(Self.iso(newest)))",
                         fix: "set the clock (timedatectl set-ntp true, or chronyc makestep); tokens and sessions use it")
        }
        return .ok("clock", Self.iso(now))
    }

    static func iso(_ time: Int64) -> String { ISOTime.string(time) }
}
