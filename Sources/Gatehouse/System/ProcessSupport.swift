import Glibc

// What the code needs of the process and its files, straight from libc: Foundation's versions
// of these would link Foundation, ICU and CoreFoundation into every CGI request and worker.

/// CLOCK_MONOTONIC: durations that a change of the wall clock cannot bend.
public enum MonotonicClock {
    public static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    public static func seconds() -> Double { Double(nanoseconds()) / 1e9 }
}

/// Seconds since the epoch, from the wall clock.
public func unixTime() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec)
}

public enum FilePath {
    /// Everything before the last `/` ("" when there is none, "/" for a file at the root).
    public static func directory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }

    /// What is after the last `/`.
    public static func name(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// Whether `path` names a directory (following symbolic links).
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Makes the folder and any missing parents, each with `mode`; what went wrong, or nil.
    public static func makeDirectories(_ directory: String, mode: mode_t = 0o700) -> String? {
        if exists(directory) { return isDirectory(directory) ? nil : "\(directory) is not a directory" }
        let parent = self.directory(of: directory)
        if !parent.isEmpty, parent != directory, let problem = makeDirectories(parent, mode: mode) { return problem }
        if mkdir(directory, mode) != 0, errno != EEXIST { return "cannot create \(directory): \(errorText())" }
        return nil
    }

    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }
}

/// Text to standard error in one write(2), so lines of several processes do not interleave.
public enum StandardError {
    public static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(2, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                done += n
            }
        }
    }
}

/// The process's environment, read where it lies: ProcessInfo's copies all of it into a
/// dictionary first, which a CGI request pays for at every start.
public enum Environment {
    public static func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// The variables whose names start with `prefix`.
    public static func variables(prefixed prefix: String) -> [String: String] {
        var found: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            cursor += 1
            guard strncmp(entry, prefix, prefix.utf8.count) == 0, let eq = strchr(entry, Int32(UInt8(ascii: "="))) else { continue }
            let name = String(decoding: UnsafeRawBufferPointer(start: entry, count: eq - entry), as: UTF8.self)
            found[name] = String(cString: eq + 1)
        }
        return found
    }
}

/// The description of an errno value.
public func errorText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

/// A pthread mutex that the thread holding it may take again.
public final class RecursiveLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() {
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }
}

extension StringProtocol {
    /// Without leading and trailing Unicode white space (as Foundation's `.whitespacesAndNewlines`).
    public func trimmingUnicodeWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return String(self[first...last])
    }
}
