/// `POST /token`: the OAuth2 password grant (RFC 6749 §4.3) as tutorial005 answers it,
/// with the granted scopes limited to the user's own.
enum TokenRoute {
    static let incorrect = HTTPError(400, "Incorrect username or password")

    static func login(_ context: inout Context) throws -> Response {
        let app = context.app
        let form = try Models.loginForm.validate(form: context.form)
        let username = form.string("username")!
        let password = form.string("password")!
        guard let user = try app.store.user(named: username) else {
            app.hasher.verifyDummy(password)
            throw incorrect
        }
        guard app.hasher.verify(password, hash: user.passwordHash) else { throw incorrect }
        let now = app.now()
        if app.hasher.needsRehash(user.passwordHash), let fresh = try? app.hasher.hash(password) {
            try app.store.setPasswordHash(userID: user.id, hash: fresh, now: now)
        }
        var granted: [String] = []
        for scope in form.string("scope")!.split(whereSeparator: \.isWhitespace).map(String.init)
        where user.scopes.contains(scope) && !granted.contains(scope) {
            granted.append(scope)
        }
        let token = app.keys.issue(claims: [
            ("sub", .string(user.username)),
            ("scope", .string(granted.joined(separator: " "))),
            ("exp", .int(Int(now) + app.config.accessTokenExpireMinutes * 60)),
        ])
        return .json(
            .object([("access_token", .string(token)), ("token_type", "bearer")]),
            headers: Headers([("cache-control", "no-store"), ("pragma", "no-cache")]))
    }
}
