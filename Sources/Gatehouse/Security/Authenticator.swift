extension App {
    /// Runs a route's requirement: find the credential, prove it, then scopes (401),
    /// active user (400), roles and permissions (403), in tutorial005's order.
    func authorize(_ request: Request, _ requirement: SecurityRequirement) throws -> (Identity?, Credential) {
        var presented: (scheme: any SecurityScheme, credential: Credential)?
        for scheme in requirement.schemes {
            if let credential = scheme.credential(in: request) { presented = (scheme, credential); break }
        }
        guard let (scheme, credential) = presented else { throw requirement.schemes[0].notAuthenticated }

        let identity: Identity
        switch credential {
        case .malformed:
            throw scheme.notAuthenticated
        case let .authorization(scheme, credentials):
            // HTTPBearer: opaque credentials for the route to judge.
            return (nil, .authorization(scheme: scheme, credentials: credentials))
        case let .bearerToken(token):
            guard let (user, token) = try currentAccessToken(token) else { throw requirement.couldNotValidate }
            identity = try self.identity(user, holding: token.scopes, kind: .token)
        case let .basic(username, password):
            identity = try throttled(request, username: username, scheme: "basic") {
                try basicIdentity(username: username, password: password, scheme: HTTPBasic(realm: config.basicRealm))
            }
        case let .apiKey(key):
            identity = try throttled(request, username: nil, scheme: "apikey") { try apiKeyIdentity(key) }
        }

        for scope in requirement.scopes where !identity.scopes.contains(scope) { throw requirement.notEnoughScopes }
        if requirement.activeUser && identity.user.disabled { throw SecurityRequirement.inactiveUser }
        for role in requirement.roles where !identity.user.roles.contains(role) { throw SecurityRequirement.forbidden }
        for permission in requirement.permissions where !identity.permissions.contains(permission) {
            throw SecurityRequirement.forbidden
        }
        return (identity, credential)
    }

    /// A token that verifies and still speaks for its account, with that account; nil otherwise.
    func currentAccessToken(_ token: String) throws -> (User, AccessToken)? {
        guard let claims = try? keys.verify(token, now: now()), let token = AccessToken(claims: claims),
              let user = try store.user(id: token.userID), token.isCurrent(for: user)
        else { return nil }
        return (user, token)
    }

    /// What a credential holding `granted` may do for `user`: the OAuth2 scopes the user still
    /// holds, and the permissions of the user's roles that the credential names as scopes
    /// (a token asks for `users:read` at login; a key is created with it).
    func identity(_ user: User, holding granted: [String], kind: CredentialKind) throws -> Identity {
        let rolePermissions = try store.permissions(forRoles: user.roles)
        return Identity(
            user: user, scopes: granted.filter(user.scopes.contains), permissions: rolePermissions.filter(granted.contains),
            kind: kind)
    }

    /// A password proves everything the account holds.
    func basicIdentity(username: String, password: String, scheme: HTTPBasic) throws -> Identity {
        let now = now()
        guard let user = try store.user(named: username) else {
            basicCacheMisses.add(1, ordering: .relaxed)
            _ = try verifyPassword(password, hash: nil)
            throw scheme.incorrectCredentials
        }
        if !basicCache.isValid(username: username, password: password, user: user, now: now) {
            basicCacheMisses.add(1, ordering: .relaxed)
            guard try verifyPassword(password, hash: user.passwordHash) else { throw scheme.incorrectCredentials }
            basicCache.remember(username: username, password: password, user: user, now: now)
        }
        return Identity(
            user: user, scopes: user.scopes, permissions: try store.permissions(forRoles: user.roles), kind: .basic)
    }

    func apiKeyIdentity(_ apiKey: String) throws -> Identity {
        let invalid = HTTPError(401, "Invalid API key", headers: Headers([("www-authenticate", "APIKey")]))
        let now = now()
        guard let parsed = APIKeys.parse(apiKey), let record = try store.apiKey(id: parsed.id),
              LibCrypto.constantTimeEquals(APIKeys.secretHash(parsed.secret), record.secretHash),
              record.revokedAt == nil, record.expiresAt.map({ $0 > now }) ?? true,
              let user = try store.user(id: record.userID), !user.disabled
        else { throw invalid }
        try store.touchAPIKey(id: record.id, now: now)
        return try identity(user, holding: record.scopes, kind: .apiKey(id: record.id))
    }
}
