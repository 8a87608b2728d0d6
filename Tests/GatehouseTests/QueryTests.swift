import XCTest
@testable import Gatehouse

final class QueryTests: XCTestCase {
    func testRepeatedKeysPlusAndEscapes() {
        let q = QueryParameters(parsing: "a=1&a=2&b=x+y%20z&c=%zz&d&&e=%E2%82%AC&f=%ff")
        XCTAssertEqual(q.all("a"), ["1", "2"])
        XCTAssertEqual(q["a"], "2")
        XCTAssertEqual(q.first("a"), "1")
        XCTAssertEqual(q["b"], "x y z")
        XCTAssertEqual(q["c"], "%zz")
        XCTAssertEqual(q["d"], "")
        XCTAssertEqual(q["e"], "€")
        XCTAssertEqual(q["f"], "\u{FFFD}")
        XCTAssertEqual(q.pairs.count, 7)
    }
}
