import Glibc

/// A C library opened with dlopen when the process first needs it (libcrypto, libpq, libcurl),
/// so that it costs nothing to a process that never does. Its errors are the caller's:
/// `unavailable` is given the loader's reason, `missing` the name of a symbol it lacks.
package struct SharedLibrary<Failure: Error> {
    private let handle: UnsafeMutableRawPointer
    private let missing: (String) -> Failure

    package init(_ soname: String, unavailable: (String) -> Failure, missing: @escaping (String) -> Failure) throws(Failure) {
        guard let handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL) else {
            throw unavailable(dlerror().map { String(cString: $0) } ?? "not found")
        }
        self.handle = handle
        self.missing = missing
    }

    /// A function, as the C type Swift imports it with.
    package func symbol<T>(_ name: String) throws(Failure) -> T {
        unsafeBitCast(try address(name), to: T.self)
    }

    package func address(_ name: String) throws(Failure) -> UnsafeMutableRawPointer {
        guard let address = dlsym(handle, name) else { throw missing(name) }
        return address
    }
}
