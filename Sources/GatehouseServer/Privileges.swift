import Gatehouse
import Glibc

/// `user = NAME` / `group = NAME`: the master binds its sockets and prepares its files as
/// root, hands the files to that user, and then becomes it, before any worker is forked,
/// so no request is ever served with root's rights.
public enum Privileges {
    public struct Account: Sendable, Equatable {
        public let uid: uid_t
        public let gid: gid_t
    }

    /// The account `user`/`group` name; nil when neither is set.
    public static func account(user: String?, group: String?) throws(ServerError) -> Account? {
        guard user != nil || group != nil else { return nil }
        var uid = getuid()
        var gid = getgid()
        if let user {
            guard let entry = getpwnam(user) else { throw ServerError("user = \(user): no such user") }
            uid = entry.pointee.pw_uid
            gid = entry.pointee.pw_gid
        }
        if let group {
            guard let entry = getgrnam(group) else { throw ServerError("group = \(group): no such group") }
            gid = entry.pointee.gr_gid
        }
        return Account(uid: uid, gid: gid)
    }

    /// Gives the store's and secret's files (and their folder) to the account, so that it can
    /// still open them once it is no longer root. Files that do not exist are skipped.
    public static func handOver(_ paths: [String], to account: Account) throws(ServerError) {
        guard geteuid() == 0 else { return }
        for path in paths where access(path, F_OK) == 0 {
            guard chown(path, account.uid, account.gid) == 0 else { throw .system("chown \(path)") }
        }
    }

    /// Becomes the account for good: supplementary groups dropped, then the group, then the
    /// user; a process that could get root back afterwards is refused.
    public static func drop(to account: Account) throws(ServerError) {
        if getuid() == account.uid && geteuid() == account.uid && getgid() == account.gid { return }
        guard geteuid() == 0 else {
            throw ServerError("user/group: switching to uid \(account.uid) needs serve to start as root")
        }
        var groups = [account.gid]
        guard setgroups(1, &groups) == 0 else { throw .system("setgroups") }
        guard setgid(account.gid) == 0 else { throw .system("setgid \(account.gid)") }
        guard setuid(account.uid) == 0 else { throw .system("setuid \(account.uid)") }
        if account.uid != 0, setuid(0) == 0 { throw ServerError("privileges could be regained after dropping them") }
    }

    /// The files `serve` prepares before it drops privileges.
    public static func ownedFiles(_ config: Config) -> [String] {
        let database = config.databasePath
        var paths = [config.dataDir]
        if !config.databaseIsPostgreSQL { paths += [database, database + "-wal", database + "-shm"] }
        if config.secretKey == nil && config.jwtAlgorithm.family == .hmac { paths.append(config.secretKeyPath) }
        if config.identityAssertion { paths.append(config.identityAssertionKeyPath) }
        paths.append(config.totpKeyPath)
        paths.append(config.accountTokenKeyPath)
        return paths
    }
}
