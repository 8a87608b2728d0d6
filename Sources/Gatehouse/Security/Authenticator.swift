/// Proves one kind of credential: the identity it establishes, nil when the credential is
/// not of its kind, or the 401 its scheme answers. A site adds its own for a custom scheme.
public protocol CredentialVerifier {
    func identity(for credential: Credential, scheme: any SecurityScheme, requirement: SecurityRequirement,
                  request: Request, app: App) throws -> Identity?
}

/// Runs a route's requirement: the first of its schemes that presents a credential decides,
/// the verifiers prove that credential, and the requirement judges the identity.
public struct Authenticator {
    public var verifiers: [any CredentialVerifier]

    public init(verifiers: [any CredentialVerifier]) { self.verifiers = verifiers }

    /// Bearer JWT, API key and HTTP Basic, then `extra`.
    public static func standard(_ extra: [any CredentialVerifier] = []) -> Authenticator {
        Authenticator(verifiers: [AccessTokenVerifier(), APIKeyVerifier(), BasicVerifier(), SessionCookieVerifier()] + extra)
    }

    /// The identity (nil for HTTPBearer's opaque credentials, which the route judges) and the credential.
    func authorize(_ request: Request, _ requirement: SecurityRequirement, app: App) throws -> (Identity?, Credential) {
        var presented: (scheme: any SecurityScheme, credential: Credential)?
        for scheme in requirement.schemes {
            if let credential = scheme.credential(in: request) { presented = (scheme, credential); break }
        }
        guard let (scheme, credential) = presented else { throw requirement.schemes[0].notAuthenticated }
        switch credential {
        case .malformed: throw scheme.notAuthenticated
        case .authorization: return (nil, credential)
        default: break
        }
        for verifier in verifiers {
            if let identity = try verifier.identity(
                for: credential, scheme: scheme, requirement: requirement, request: request, app: app) {
                try requirement.check(identity)
                return (identity, credential)
            }
        }
        throw scheme.notAuthenticated
    }
}

/// `Authorization: Bearer` with an access token that verifies and still speaks for its account.
public struct AccessTokenVerifier: CredentialVerifier {
    public init() {}

    public func identity(for credential: Credential, scheme: any SecurityScheme, requirement: SecurityRequirement,
                         request: Request, app: App) throws -> Identity?
    {
        guard case let .bearerToken(token) = credential else { return nil }
        guard let (user, token, session) = try app.currentAccessToken(token) else { throw requirement.couldNotValidate }
        var identity = try app.identity(user, holding: token.scopes, kind: .token)
        identity.sessionID = token.sessionID
        identity.secondFactor = session.secondFactor
        return identity
    }
}

/// HTTP Basic: a password proves everything the account holds. A verified credential is
/// remembered for `basic_cache_seconds`, so Argon2 runs once per credential, not per request.
/// An account with two-factor sign-in on is refused even with the right password: a password
/// alone must open nothing there (its scripts use API keys).
public struct BasicVerifier: CredentialVerifier {
    public init() {}

    static func secondFactorRefusal(_ scheme: HTTPBasic) -> HTTPError {
        HTTPError(401, "HTTP Basic is refused: two-factor sign-in is on for this account",
                  headers: Headers([("www-authenticate", scheme.challengeValue)]))
    }

    public func identity(for credential: Credential, scheme: any SecurityScheme, requirement: SecurityRequirement,
                         request: Request, app: App) throws -> Identity?
    {
        guard case let .basic(username, password) = credential else { return nil }
        let basic = (scheme as? HTTPBasic) ?? HTTPBasic()
        let incorrect = basic.incorrectCredentials
        let now = app.now()
        let identity = try app.throttled(request, username: username, scheme: "basic") {
            guard let user = try app.store.user(named: username) else {
                app.basicCacheMisses.add(1, ordering: .relaxed)
                _ = try app.verifyPassword(password, hash: nil)
                throw incorrect
            }
            let known = app.basicCache.lookup(username: username, password: password, user: user, now: now)
            if known != .valid {
                app.basicCacheMisses.add(1, ordering: .relaxed)
                guard try app.verifyPassword(password, hash: user.passwordHash, waitForRoom: known == .expired)
                else { throw incorrect }
                app.basicCache.remember(username: username, password: password, user: user, now: now)
            }
            return Identity(
                user: user, scopes: user.scopes, permissions: try app.store.permissions(forRoles: user.roles), kind: .basic)
        }
        // After the password, outside the throttle: the right password is no failed guess.
        if identity.user.totpEnabled { throw BasicVerifier.secondFactorRefusal(basic) }
        return identity
    }
}

/// An API key: its own scopes, never more than its owner still holds.
public struct APIKeyVerifier: CredentialVerifier {
    public init() {}

    static let invalid = HTTPError(401, "Invalid API key", headers: Headers([("www-authenticate", "APIKey")]))

    public func identity(for credential: Credential, scheme: any SecurityScheme, requirement: SecurityRequirement,
                         request: Request, app: App) throws -> Identity?
    {
        guard case let .apiKey(key) = credential else { return nil }
        return try app.throttled(request, username: nil, scheme: "apikey") { try verify(key, app: app) }
    }

    func verify(_ key: String, app: App) throws -> Identity {
        let now = app.now()
        guard let parsed = APIKeys.parse(key), let record = try app.store.apiKey(id: parsed.id),
              LibCrypto.constantTimeEquals(APIKeys.secretHash(parsed.secret), record.secretHash),
              record.revokedAt == nil, record.expiresAt.map({ $0 > now }) ?? true,
              let user = try app.store.user(id: record.userID), !user.disabled
        else { throw APIKeyVerifier.invalid }
        try app.store.bestEffort { _ = try app.store.touchAPIKey(id: record.id, now: now) }
        app.metrics.count(.apiKeyUsed)
        return try app.identity(user, holding: record.scopes, kind: .apiKey(id: record.id))
    }
}

extension App {
    /// A token that verifies and still speaks for its account, in a session that is live,
    /// with that account; nil otherwise. Using the session keeps it from going idle.
    func currentAccessToken(_ token: String) throws -> (User, AccessToken, Session)? {
        let now = now()
        guard let token = accessTokens.read(token, now: now), let user = try store.user(id: token.userID), token.isCurrent(for: user),
              let session = try store.session(id: token.sessionID), session.userID == user.id,
              session.isLive(at: now, idleSeconds: config.sessionIdle)
        else { return nil }
        try store.bestEffort { try store.touchSession(session, now: now) }
        return (user, token, session)
    }

    /// What a credential holding `granted` may do for `user`: the OAuth2 scopes the user still
    /// holds, and the permissions of the user's roles that the credential names as scopes
    /// (a token asks for `users:read` at login; a key is created with it).
    public func identity(_ user: User, holding granted: [String], kind: CredentialKind) throws -> Identity {
        let rolePermissions = try store.permissions(forRoles: user.roles)
        return Identity(
            user: user, scopes: granted.keeping(user.scopes.contains), permissions: rolePermissions.keeping(granted.contains),
            kind: kind)
    }
}

extension Array {
    /// The elements `keep` keeps, in order; the array itself, not a copy, when it keeps all of
    /// them (a token's scopes that its user still holds: nearly always all).
    func keeping(_ keep: (Element) -> Bool) -> [Element] {
        guard let first = firstIndex(where: { !keep($0) }) else { return self }
        return self[..<first] + self[(first + 1)...].filter(keep)
    }
}
