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
            identity = try tokenIdentity(token, requirement)
        case let .basic(username, password):
            identity = try basicIdentity(username: username, password: password, scheme: scheme as! HTTPBasic)
        case let .apiKey(key):
            identity = try apiKeyIdentity(key)
        }

        for scope in requirement.scopes where !identity.scopes.contains(scope) { throw requirement.notEnoughScopes }
        if requirement.activeUser && identity.user.disabled { throw SecurityRequirement.inactiveUser }
        for role in requirement.roles where !identity.user.roles.contains(role) { throw SecurityRequirement.forbidden }
        for permission in requirement.permissions where !identity.permissions.contains(permission) {
            throw SecurityRequirement.forbidden
        }
        return (identity, credential)
    }

    func tokenIdentity(_ token: String, _ requirement: SecurityRequirement) throws -> Identity {
        let claims: [(String, JSON)]
        do { claims = try keys.verify(token, now: now()) } catch { throw requirement.couldNotValidate }
        let claim = { (name: String) in claims.last { $0.0 == name }?.1 }
        guard let username = claim("sub")?.stringValue, let user = try store.user(named: username) else {
            throw requirement.couldNotValidate
        }
        let scopeClaim = claim("scope") ?? .string("")
        guard let scopeText = scopeClaim.stringValue else { throw requirement.couldNotValidate }
        let tokenScopes = scopeText.split(separator: " ").map(String.init)
        return Identity(
            user: user, scopes: tokenScopes.filter(user.scopes.contains),
            permissions: try store.permissions(forRoles: user.roles), kind: .token)
    }

    func basicIdentity(username: String, password: String, scheme: HTTPBasic) throws -> Identity {
        let now = now()
        guard let user = try store.user(named: username) else {
            hasher.verifyDummy(password)
            throw scheme.incorrectCredentials
        }
        if !basicCache.isValid(username: username, password: password, user: user, now: now) {
            guard hasher.verify(password, hash: user.passwordHash) else { throw scheme.incorrectCredentials }
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
        let rolePermissions = try store.permissions(forRoles: user.roles)
        return Identity(
            user: user, scopes: record.scopes.filter(user.scopes.contains),
            permissions: rolePermissions.filter(record.scopes.contains), kind: .apiKey(id: record.id))
    }
}
