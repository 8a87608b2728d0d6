/// `POST /token`: the OAuth2 password grant (RFC 6749 §4.3) as tutorial005 answers it,
/// with the granted scopes limited to what the user holds: their scopes, and the
/// permissions of their roles (an administrator asks for `users:read` to use it).
enum TokenRoute {
    static let incorrect = HTTPError(400, "Incorrect username or password")

    static func login(_ context: inout Context) throws -> Response {
        let app = context.app
        let form = try Models.loginForm.validate(form: context.form)
        let username = form.string("username") ?? ""
        let password = form.string("password") ?? ""
        let user = try app.throttled(context.request, username: username, scheme: "password") {
            // An unknown name costs the same hash (against the dummy) as a wrong password.
            let user = try app.store.user(named: username)
            guard try app.verifyPassword(password, hash: user?.passwordHash), let user else { throw incorrect }
            return user
        }
        if user.disabled && app.config.refuseDisabledLogin { throw SecurityRequirement.inactiveUser }
        let now = app.now()
        if app.hasher.mayRehash(user.passwordHash, from: password), let fresh = try? app.hasher.hash(password) {
            try app.store.upgradePasswordHash(userID: user.id, hash: fresh, now: now)
        }
        let holdable = user.scopes + (try app.store.permissions(forRoles: user.roles))
        var granted: [String] = []
        for scope in (form.string("scope") ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
        where holdable.contains(scope) && !granted.contains(scope) {
            granted.append(scope)
        }
        let config = app.config
        let token = app.keys.issue(claims: AccessToken.claims(
            for: user, scopes: granted, now: now, lifetime: Int64(config.accessTokenExpireMinutes) * 60,
            issuer: config.jwtIssuer, audience: config.jwtAudience))
        app.audit(.loginSucceeded, context.request, user: user, detail: "password")
        return .json(.object([("access_token", .string(token)), ("token_type", "bearer")]))
    }
}
