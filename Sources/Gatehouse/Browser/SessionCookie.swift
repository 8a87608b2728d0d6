import Synchronization

/// The browser's session, as the sign-in page sets it: `__Host-gatehouse` over HTTPS
/// (Secure, so the prefix holds), `gatehouse_session` on plain-HTTP development; HttpOnly
/// and SameSite=Lax either way. The value is the session id and a proof only the store can
/// make (HMAC under the session's own key), so an upstream that sees the session id in
/// X-Gatehouse-Session still cannot forge the cookie.
public struct SessionCookieScheme: SecurityScheme {
    public static let secureName = "__Host-gatehouse"
    public static let plainName = "gatehouse_session"

    public init() {}

    public var schemeName: String { "SessionCookie" }

    public func credential(in request: Request) -> Credential? {
        let cookies = request.cookies
        guard let value = cookies[SessionCookieScheme.secureName] ?? cookies[SessionCookieScheme.plainName], !value.isEmpty
        else { return nil }
        return .sessionCookie(value)
    }

    public var notAuthenticated: HTTPError { challenge("Bearer") }

    public func openAPI(scopes: [(name: String, description: String)]) -> JSON {
        .object([("type", "apiKey"), ("in", "cookie"), ("name", .string(SessionCookieScheme.plainName))])
    }

    static func value(for session: Session) -> String { session.id + "." + proof(session) }

    static func proof(_ session: Session) -> String {
        Base64.urlEncode(LibCrypto.hmac(.sha256, key: session.refreshKey, data: Array("session-cookie".utf8)))
    }

    /// The Set-Cookie header that gives the browser `session` (nil: ends it).
    static func header(_ session: Session?, secure: Bool, maxAge: Int64) -> String {
        let name = secure ? secureName : plainName
        let attributes = (secure ? "; Secure" : "") + "; HttpOnly; SameSite=Lax; Path=/"
        guard let session else { return "\(name)=; Max-Age=0" + attributes }
        return "\(name)=\(value(for: session)); Max-Age=\(maxAge)" + attributes
    }
}

/// The session cookie's verifier. A request that can change state must come from this site
/// (its Origin, or Sec-Fetch-Site: same-origin): a cookie is sent by any page that posts here.
public struct SessionCookieVerifier: CredentialVerifier {
    public init() {}

    static let crossSite = HTTPError(403, "Cross-site request refused")

    public func identity(for credential: Credential, scheme: any SecurityScheme, requirement: SecurityRequirement,
                         request: Request, app: App) throws -> Identity? {
        guard case let .sessionCookie(value) = credential else { return nil }
        let parts = value.split(separator: ".", maxSplits: 1).map(String.init)
        let now = app.now()
        guard parts.count == 2, let session = try app.store.session(id: parts[0]),
              session.isLive(at: now, idleSeconds: app.config.sessionIdle),
              LibCrypto.constantTimeEquals(Array(parts[1].utf8), Array(app.cookieProofs.proof(for: session).utf8)),
              let user = try app.store.user(id: session.userID)
        else { throw scheme.notAuthenticated }
        if !["GET", "HEAD"].contains(request.method) && !SameSite.isSameOrigin(request) { throw SessionCookieVerifier.crossSite }
        try app.store.touchSession(session, now: now)
        var identity = try app.identity(user, holding: session.scopes, kind: .sessionCookie)
        identity.sessionID = session.id
        identity.secondFactor = session.secondFactor
        return identity
    }
}

/// The proofs of the sessions whose cookies came here, so that a browser's every request does
/// not cost an HMAC. A proof depends on its session's key alone, which never changes: an entry
/// is used only with the key it was made from. Bounded; emptied when full.
final class SessionCookieProofs: Sendable {
    private let proofs = Mutex<[String: (key: [UInt8], proof: String)]>([:])
    static let capacity = 1024

    func proof(for session: Session) -> String {
        if let known = proofs.withLock({ $0[session.id] }), known.key == session.refreshKey { return known.proof }
        let proof = SessionCookieScheme.proof(session)
        proofs.withLock { proofs in
            if proofs.count >= SessionCookieProofs.capacity { proofs.removeAll(keepingCapacity: true) }
            proofs[session.id] = (session.refreshKey, proof)
        }
        return proof
    }
}

/// Whether a browser request comes from a page of this site.
package enum SameSite {
    package static func isSameOrigin(_ request: Request) -> Bool {
        if request.headers["sec-fetch-site"] == "same-origin" { return true }
        guard let origin = request.headers["origin"] else { return false }
        return origin == siteOrigin(request)
    }

    package static func siteOrigin(_ request: Request) -> String {
        request.scheme + "://" + (request.headers["host"].flatMap(HostHeader.validated) ?? request.serverAuthority)
    }
}
