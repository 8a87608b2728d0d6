import Foundation
import XCTest
@testable import Gatehouse
import PostgreSQLSupport

/// Where a test's store lives: the SQLite file at `path`, or a new PostgreSQL database when
/// GH_TEST_STORE=postgresql. `open` opens another connection to the same store.
enum TestStore {
    static func location(path: String) throws -> String {
        PostgreSQLServer.enabled ? try PostgreSQLServer.shared().createDatabase() : path
    }

    static func open(_ location: String) throws -> Store {
        location.hasPrefix("postgresql://") ? try Store.open(postgresql: location, password: nil) : try Store.open(path: location)
    }

    /// For tests of the SQLite file itself (its modes, its folder).
    static func skipUnlessSQLite() throws {
        try XCTSkipIf(PostgreSQLServer.enabled, "a property of the SQLite file")
    }
}
