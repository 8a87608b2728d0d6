/// `POST /token`: the OAuth2 password grant (RFC 6749 §4.3) as tutorial005 answers it,
/// with the granted scopes limited to what the user holds: their scopes, and the
/// permissions of their roles (an administrator asks for `users:read` to use it).
enum TokenRoute {
    static let incorrect = HTTPError(400, "Incorrect username or password")

    static func login(_ context: inout Context) throws -> Output {
        let app = context.app
        let form = try context.body(LoginForm.self)
        guard let user = try app.store.user(named: form.username) else {
            _ = try app.verifyPassword(form.password, hash: nil)
            throw incorrect
        }
        guard try app.verifyPassword(form.password, hash: user.passwordHash) else { throw incorrect }
        if user.disabled && app.config.refuseDisabledLogin { throw SecurityRequirement.inactiveUser }
        let now = app.now()
        if app.hasher.mayRehash(user.passwordHash, from: form.password), let fresh = try? app.hasher.hash(form.password) {
            try app.store.upgradePasswordHash(userID: user.id, hash: fresh, now: now)
        }
        let holdable = user.scopes + (try app.store.permissions(forRoles: user.roles))
        let config = app.config
        let token = app.keys.issue(claims: AccessToken.claims(
            for: user, scopes: form.scopes.filter(holdable.contains), now: now,
            lifetime: Int64(config.accessTokenExpireMinutes) * 60, issuer: config.jwtIssuer, audience: config.jwtAudience))
        return Output(.object([("access_token", .string(token)), ("token_type", "bearer")]))
    }
}
