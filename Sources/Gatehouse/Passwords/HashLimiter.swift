/// Bounds how many password hashes run at once in a group of workers, so that wrong
/// passwords sent as fast as a client can cost at most that many cores. A hash that finds
/// no room is not computed: the request is answered 503 at once. (Each prefork worker is
/// single-threaded, so a worker never runs more than one hash itself.)
public protocol HashLimiter: Sendable {
    /// True when the caller may hash now; it must then call `leave()`.
    func tryEnter() -> Bool
    func leave()
}

extension App {
    /// Verifies `password` against `hash`, or against the dummy hash for an unknown user
    /// (nil), within the limiter's bound.
    func verifyPassword(_ password: String, hash: String?) throws(HTTPError) -> Bool {
        if let hashLimiter {
            guard hashLimiter.tryEnter() else {
                metrics.count(.hashRefused)
                throw HTTPError.serviceUnavailable
            }
        }
        defer { hashLimiter?.leave() }
        guard let hash else {
            hasher.verifyDummy(password)
            return false
        }
        return hasher.verify(password, hash: hash)
    }
}
