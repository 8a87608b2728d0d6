import Synchronization

/// Access tokens that verified, by the whole token, read into `AccessToken`s: a client sends
/// the same token with every request, and a hit skips base64, the MAC, the JSON and reading
/// the claims. What can change whether a token that verified still does is the clock, so the
/// time claims are judged again at every use; its signature, issuer, audience and shape
/// cannot change. Bounded; emptied when full.
final class VerifiedAccessTokens {
    private let keys: JWTKeySet
    private let tokens = Mutex<[TokenText: Entry]>([:])
    static let capacity = 256

    struct Entry {
        let token: AccessToken
        let times: JWTClaims.Times
    }

    /// A token as the key of the memory: equal only to the very same text, but hashed by its last
    /// 32 bytes (the signature's), not all of its few hundred. Only tokens that verified are
    /// kept, and their signatures are the MAC's or the key's: nothing anyone could aim at one hash.
    struct TokenText: Hashable {
        let text: String

        func hash(into hasher: inout Hasher) {
            var text = text
            text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: $0.suffix(32)))) }
        }
    }

    init(keys: JWTKeySet) { self.keys = keys }

    /// The access token `text` holds, when it is one that is valid at `now`; nil otherwise.
    func read(_ text: String, now: Int64) -> AccessToken? {
        if let known = tokens.withLock({ $0[TokenText(text: text)] }) {
            return (try? keys.claims.validate(known.times, now: now)) != nil ? known.token : nil
        }
        guard let claims = try? keys.verify(text, now: now), let token = AccessToken(claims: claims),
              let times = JWTClaims.Times(claims) else { return nil }
        tokens.withLock { tokens in
            if tokens.count >= VerifiedAccessTokens.capacity { tokens.removeAll(keepingCapacity: true) }
            tokens[TokenText(text: text)] = Entry(token: token, times: times)
        }
        return token
    }
}
