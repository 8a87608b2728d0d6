import Gatehouse
import Glibc
import Synchronization

/// The main pool's bound on concurrent password hashes: one slot per worker in memory the
/// master maps before it forks. A worker marks its own slot while it hashes and counts the
/// marked ones; over the limit it unmarks and gives up (two racing workers may both give
/// up, never both proceed). The master clears the slot of a worker that died mid-hash.
public final class SharedHashSlots: Sendable {
    /// The mapping's address: a number, so the type is Sendable; the memory outlives every worker.
    private let address: Int
    public let count: Int
    public let limit: Int

    public init(count: Int, limit: Int) throws(ServerError) {
        let bytes = count * MemoryLayout<Int32>.stride
        guard let memory = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
              memory != MAP_FAILED else { throw .system("mmap") }
        memory.initializeMemory(as: Int32.self, repeating: 0, count: count)
        address = Int(bitPattern: memory)
        self.count = count
        self.limit = limit
    }

    var slots: UnsafeMutablePointer<Int32> {
        UnsafeMutablePointer<Int32>(bitPattern: address).unsafelyUnwrapped
    }

    /// Marked slots right now.
    public var busy: Int {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        return (0..<count).reduce(0) { $0 + Int(slots[$1]) }
    }

    public func clear(_ slot: Int) {
        slots[slot] = 0
        atomicMemoryFence(ordering: .sequentiallyConsistent)
    }

    /// The limiter a worker with `slot` uses.
    public func limiter(slot: Int) -> any HashLimiter { Limiter(slots: self, slot: slot) }

    struct Limiter: HashLimiter {
        let slots: SharedHashSlots
        let slot: Int

        func tryEnter() -> Bool {
            slots.slots[slot] = 1
            if slots.busy <= slots.limit { return true }
            slots.clear(slot)
            return false
        }

        func leave() { slots.clear(slot) }
    }
}
