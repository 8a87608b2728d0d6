/// Rows a worker read, remembered until anything is written to the database by anyone: every
/// request looks up its user, session, key and roles, and a change (disable, revoke, a new
/// password, a lost permission) must count from the next request on. The store's change stamp
/// says when that is. Bounded: when full, further rows are read but not kept.
struct RowCache<Key: Hashable, Row> {
    private var stamp = ChangeStamp.never
    private var rows: [Key: Row] = [:]
    static var capacity: Int { 1024 }

    /// The row remembered under the current stamp (everything is forgotten when it moved).
    mutating func row(_ key: Key, at stamp: ChangeStamp) -> Row? {
        if stamp != self.stamp {
            self.stamp = stamp
            rows.removeAll(keepingCapacity: true)
        }
        return rows[key]
    }

    /// Remembers a row read under `stamp`; a row of an older stamp is dropped.
    mutating func remember(_ row: Row, for key: Key, at stamp: ChangeStamp) {
        guard stamp == self.stamp, rows.count < Self.capacity else { return }
        rows[key] = row
    }
}

extension Store {
    /// The row `load` reads (under the store's lock), unless `cache` remembers it: the one way
    /// every cached lookup goes.
    func cached<Key, Row>(_ cache: ReferenceWritableKeyPath<Store, RowCache<Key, Row>>, _ key: Key,
                          load: () throws -> Row?) throws -> Row? {
        try locked {
            let stamp = try currentStamp()
            if let row = self[keyPath: cache].row(key, at: stamp) { return row }
            guard let row = try load() else { return nil }
            self[keyPath: cache].remember(row, for: key, at: stamp)
            return row
        }
    }
}
