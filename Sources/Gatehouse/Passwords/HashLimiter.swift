import FoundationEssentials
import Glibc

/// Bounds how many password hashes run at once in a group of workers, so that wrong
/// passwords sent as fast as a client can cost at most that many cores. A hash that finds
/// no room is not computed: the request is answered 503 at once, unless it re-verifies a
/// credential this worker verified before, which waits a little for room first. (Each
/// prefork worker is single-threaded, so a worker never runs more than one hash itself.)
public protocol HashLimiter: Sendable {
    /// True when the caller may hash now; it must then call `leave()`.
    func tryEnter() -> Bool
    func leave()
}

extension App {
    /// How long a re-verification waits for room: about one hash at the default cost.
    /// Only a credential that verified before may wait, so a flood of guesses never holds
    /// a worker; it is refused at once.
    public static let hashRoomWaitMicroseconds = 250_000

    /// Verifies `password` against `hash`, or against the dummy hash for an unknown user
    /// (nil), within the limiter's bound.
    func verifyPassword(_ password: String, hash: String?, waitForRoom: Bool = false) throws(HTTPError) -> Bool {
        if let hashLimiter {
            guard App.enter(hashLimiter, waitingUpTo: waitForRoom ? App.hashRoomWaitMicroseconds : 0) else {
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

    /// Polls with a jittered 1–3 ms pause, so that two workers that raced for the last slot
    /// (and both gave it up) do not meet again.
    static func enter(_ limiter: any HashLimiter, waitingUpTo microseconds: Int) -> Bool {
        var waited = 0
        while !limiter.tryEnter() {
            guard waited < microseconds else { return false }
            let pause = Int.random(in: 1000...3000)
            usleep(UInt32(pause))
            waited += pause
        }
        return true
    }
}
