import FoundationEssentials
import Glibc

/// The HMAC secret kept on disk: 32 random bytes written as 64 hex characters, in a file
/// only its owner may read. The secret is the hex text itself, as FastAPI's tutorial
/// uses the output of `openssl rand -hex 32`, so PyJWT given the same text agrees.
enum SecretFile {
    static func loadOrCreate(path: String, setting: String = "secret_key_file") throws(ConfigError) -> [UInt8] {
        if FileManager.default.fileExists(atPath: path) { return try read(path: path) }
        let secret = Array(LibCrypto.hex(LibCrypto.randomBytes(32)).utf8)
        // Another process starting at the same time (lighttpd starts several) uses its own.
        guard try createPrivately(path, contents: secret + [0x0A], setting: setting) else { return try read(path: path) }
        return secret
    }

    /// Writes a 0600 file that appears whole or not at all: written and synced under a
    /// temporary name, then linked into place (which fails when another process was first).
    /// False when the file exists already.
    static func createPrivately(_ path: String, contents: [UInt8], setting: String) throws(ConfigError) -> Bool {
        try createParent(of: path, setting: setting)
        let temporary = path + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw ConfigError("\(setting) \(path): cannot be created: \(String(cString: strerror(errno)))") }
        defer { unlink(temporary) }
        let written = contents.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = written == contents.count && fchmod(fd, 0o600) == 0 && fsync(fd) == 0
        close(fd)
        guard synced else { throw ConfigError("\(setting) \(path): cannot be written: \(String(cString: strerror(errno)))") }
        if link(temporary, path) == 0 { return true }
        if errno == EEXIST { return false }
        throw ConfigError("\(setting) \(path): cannot be created: \(String(cString: strerror(errno)))")
    }

    /// The file's text without its trailing newline; refused when group or others may read it.
    static func read(path: String) throws(ConfigError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ConfigError("secret file \(path): cannot be opened: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw ConfigError("secret file \(path): not a regular file")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw ConfigError(
                "secret file \(path): permissions \(String(info.st_mode & 0o777, radix: 8)) let others read it; run chmod 600 \(path)")
        }
        guard info.st_size <= 4096 else { throw ConfigError("secret file \(path): larger than 4096 bytes") }
        var buffer = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var total = 0
        while total < buffer.count {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + total, $0.count - total) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw ConfigError("secret file \(path): cannot be read") }
            if n == 0 { break }
            total += n
        }
        var secret = Array(buffer.prefix(total))
        while let last = secret.last, last == 0x0A || last == 0x0D { secret.removeLast() }
        guard !secret.isEmpty else { throw ConfigError("secret file \(path): empty") }
        return secret
    }

    /// The data folder is made here when nothing else made it (a PostgreSQL store makes no file).
    private static func createParent(of path: String, setting: String) throws(ConfigError) {
        let parent = FilePath.directory(of: path)
        guard !parent.isEmpty, let problem = FilePath.makeDirectories(parent) else { return }
        throw ConfigError("\(setting) \(path): \(problem)")
    }
}
