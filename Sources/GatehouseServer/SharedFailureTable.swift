import Gatehouse
import Glibc
import Synchronization

/// The failure ledger every worker of one master shares: a fixed-size open-addressing
/// table in memory the master maps before it forks, so no failure costs a write to disk
/// and a success costs one read of this memory.
///
/// Slots hold a 64-bit key (a keyed hash of the address or username; 0 is free) and the
/// record. A key lives in one of `probe` slots from its hash; a new key takes a free or
/// expired slot there, else the one that expires soonest. Workers read and write without
/// a lock: two failures racing on one slot may lose a count or mix two records' fields,
/// which only ever lets a guess or two more through. Every access stays inside the
/// mapping and every bit pattern is a valid record, so no race can corrupt memory.
///
/// A restart of the master starts from an empty table: an attacker gets the guesses of one
/// more window, which the per-username back-off already allows every `window` seconds;
/// the bans to remember are minutes long, so writing them to disk would buy nothing.
public final class SharedFailureTable: FailureLedger {
    struct Slot {
        var key: UInt64
        var record: FailureRecord
    }

    /// The mapping's address: a number, so the type is Sendable; the memory outlives every worker.
    private let address: Int
    public let capacity: Int
    static let probe = 8

    public init(capacity: Int = 8192) throws(ServerError) {
        let bytes = capacity * MemoryLayout<Slot>.stride
        guard let memory = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
              memory != MAP_FAILED else { throw .system("mmap") }
        memory.initializeMemory(as: Slot.self, repeating: Slot(key: 0, record: FailureRecord()), count: capacity)
        address = Int(bitPattern: memory)
        self.capacity = capacity
    }

    var slots: UnsafeMutablePointer<Slot> {
        UnsafeMutablePointer<Slot>(bitPattern: address).unsafelyUnwrapped
    }

    func candidates(_ key: UInt64) -> [Int] {
        let start = Int(key % UInt64(capacity))
        return (0..<SharedFailureTable.probe).map { (start + $0) % capacity }
    }

    public func record(_ key: UInt64, now: Int64) -> FailureRecord? {
        atomicMemoryFence(ordering: .acquiring)
        for index in candidates(key) {
            let slot = slots[index]
            if slot.key == key { return slot.record.expiresAt > now ? slot.record : nil }
        }
        return nil
    }

    public func update(_ key: UInt64, now: Int64, _ change: (FailureRecord?) -> FailureRecord) {
        atomicMemoryFence(ordering: .acquiring)
        let indices = candidates(key)
        let found = indices.first { slots[$0].key == key }
        let index = found
            ?? indices.first { slots[$0].key == 0 || slots[$0].record.expiresAt <= now }
            ?? indices.min { slots[$0].record.expiresAt < slots[$1].record.expiresAt }
        guard let index else { return }
        let current = found.flatMap { slots[$0].record.expiresAt > now ? slots[$0].record : nil }
        slots[index] = Slot(key: key, record: change(current))
        atomicMemoryFence(ordering: .releasing)
    }
}
