import CSQLite
import Synchronization

/// A look at the header of a WAL database's wal-index (the `-shm` file that every connection
/// to it maps), to tell without a query whether anything was committed since the last look.
///
/// The header is documented (https://www.sqlite.org/walformat.html, "The WAL-Index Header"):
/// two copies of 48 bytes at the start of the first region, written by every commit (the
/// second copy first), that a reader compares to get a consistent view. SQLite's own
/// `PRAGMA data_version` moves exactly when these bytes change, but costs a read transaction:
/// two fcntl locks and a statement. The region is the one SQLite mapped for this connection,
/// asked for through the VFS (`SQLITE_FCNTL_FILE_POINTER`, `xShmMap`), never mapped here.
struct WALIndexHeader {
    static let size = 48
    private let region: UnsafeRawPointer

    /// The mapped header of `db`'s main database, which must be in WAL mode and have run a
    /// read transaction (so its wal-index is open); nil when there is none.
    init?(db: OpaquePointer) {
        var file: UnsafeMutablePointer<sqlite3_file>?
        guard sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK, let file,
              let methods = file.pointee.pMethods, methods.pointee.iVersion >= 2, let map = methods.pointee.xShmMap
        else { return nil }
        var mapped: UnsafeMutableRawPointer?
        guard map(file, 0, 32768, 0, &mapped) == SQLITE_OK, let mapped else { return nil }
        region = UnsafeRawPointer(mapped)
    }

    /// The header's bytes, or nil while a writer is between its two copies.
    func snapshot() -> Snapshot? {
        var first = Snapshot(), second = Snapshot()
        withUnsafeMutableBytes(of: &first.bytes) { $0.copyMemory(from: UnsafeRawBufferPointer(start: region, count: Self.size)) }
        // As SQLite's reader: the first copy, a barrier, the second (a writer goes the other way).
        atomicMemoryFence(ordering: .acquiring)
        withUnsafeMutableBytes(of: &second.bytes) {
            $0.copyMemory(from: UnsafeRawBufferPointer(start: region + Self.size, count: Self.size))
        }
        return first == second ? first : nil
    }

    /// 48 bytes, compared as six words.
    struct Snapshot: Equatable {
        var bytes: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)

        static func == (a: Snapshot, b: Snapshot) -> Bool {
            a.bytes.0 == b.bytes.0 && a.bytes.1 == b.bytes.1 && a.bytes.2 == b.bytes.2 && a.bytes.3 == b.bytes.3
                && a.bytes.4 == b.bytes.4 && a.bytes.5 == b.bytes.5
        }
    }
}
