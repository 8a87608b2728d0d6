/// `POST /token`: the OAuth2 password grant (RFC 6749 §4.3) as tutorial005 answers it, and
/// the refresh grant (§6). A login grants only what the user holds: their scopes, and the
/// permissions of their roles (an administrator asks for `users:read` to use it); it starts a
/// session, and with `offline_access` (or `refresh_tokens = always`) a refresh token for it.
enum TokenRoute {
    static let incorrect = HTTPError(400, "Incorrect username or password")
    static let offlineAccess = "offline_access"

    static func token(_ context: inout Context) throws -> Output {
        if context.form.text("grant_type") == "refresh_token" { return try RefreshGrant.answer(&context) }
        return try login(&context)
    }

    static func login(_ context: inout Context) throws -> Output {
        let app = context.app
        let form = try context.body(LoginForm.self)
        let user = try passwordUser(form.username, form.password, request: context.request, app: app)
        if user.disabled && app.config.refuseDisabledLogin { throw SecurityRequirement.inactiveUser }
        let secondFactor = try SecondFactor.require(form.otp, of: user, request: context.request, app: app)
        let now = app.now()
        if app.hasher.mayRehash(user.passwordHash, from: form.password), let fresh = try? app.hasher.hash(form.password) {
            try app.store.upgradePasswordHash(userID: user.id, hash: fresh, now: now)
        }
        let granted = try holdable(form.scopes, by: user, app: app)
        let session = try startSession(user: user, scopes: granted, request: context.request, app: app, now: now,
                                       secondFactor: secondFactor)
        var refresh: String?
        switch app.config.refreshTokens {
        case .always: refresh = RefreshToken.generate()
        case .offlineAccess where form.scopes.contains(offlineAccess): refresh = RefreshToken.generate()
        default: break
        }
        if let refresh { try app.store.insertRefreshToken(hash: RefreshToken.hash(refresh), sessionID: session.id, now: now) }
        app.audit(.loginSucceeded, context.request, user: user, detail: secondFactor ? "password and one-time code" : "password")
        return answer(user: user, session: session.id, scopes: granted, refreshToken: refresh, app: app, now: now)
    }

    /// The user named, if the password is theirs, checked under the login throttle; `admits`
    /// turns a verified user away as a wrong password would be. An unknown name costs the same
    /// hash (against the dummy) as a wrong password.
    static func passwordUser(_ username: String, _ password: String, request: Request, app: App,
                             admits: (User) -> Bool = { _ in true }) throws -> User
    {
        try app.throttled(request, username: username, scheme: "password") {
            let user = try app.store.user(named: username)
            guard try app.verifyPassword(password, hash: user?.passwordHash), let user, admits(user) else { throw incorrect }
            return user
        }
    }

    /// The session a password login starts, remembering where it came from.
    static func startSession(user: User, scopes: [String], request: Request, app: App, now: Int64,
                             secondFactor: Bool) throws -> Session {
        try app.store.createSession(
            userID: user.id, scopes: scopes, clientAddress: app.clientAddress.of(request),
            userAgent: request.headers["user-agent"] ?? "", now: now, lifetime: app.config.sessionLifetime,
            secondFactor: secondFactor)
    }

    /// Everything the user holds now: their scopes, then their roles' permissions.
    static func holdable(by user: User, app: App) throws -> [String] {
        user.scopes + (try app.store.permissions(forRoles: user.roles))
    }

    /// The scopes asked for that the user holds now, in the order asked; never `offline_access`,
    /// which asks for a refresh token and is no scope of an access token.
    static func holdable(_ asked: [String], by user: User, app: App) throws -> [String] {
        let holdable = try holdable(by: user, app: app)
        return asked.filter { $0 != offlineAccess && holdable.contains($0) }
    }

    /// tutorial005's `{"access_token": …, "token_type": "bearer"}`, with `refresh_token` and
    /// `expires_in` when there is a refresh token.
    static func answer(user: User, session: String, scopes: [String], refreshToken: String?, app: App, now: Int64) -> Output {
        let lifetime = Int64(app.config.accessTokenExpireMinutes) * 60
        let token = app.keys.issue(claims: AccessToken.claims(
            for: user, session: session, scopes: scopes, now: now, lifetime: lifetime,
            issuer: app.config.jwtIssuer, audience: app.config.jwtAudience))
        var members: [(String, JSON)] = [("access_token", .string(token)), ("token_type", "bearer")]
        if let refreshToken { members += [("refresh_token", .string(refreshToken)), ("expires_in", .int(Int(lifetime)))] }
        return Output(.object(members))
    }
}

/// `grant_type=refresh_token` (RFC 6749 §6, OAuth 2.0 Security BCP §4.14): the presented
/// token is spent and its successor issued with a new access token. Presenting a spent token
/// again ends the whole session, unless it comes within `refresh_token_reuse_grace_seconds`
/// (a client retrying an answer it lost), which gets the same successor again. Errors are
/// RFC 6749 §5.2's, not tutorial005's.
enum RefreshGrant {
    static let invalidGrant = HTTPError.oauth("invalid_grant", "The refresh token is invalid, expired or revoked")

    static func answer(_ context: inout Context) throws -> Output {
        let app = context.app
        let now = app.now()
        guard let presented = context.form.text("refresh_token"), !presented.isEmpty else {
            throw HTTPError.oauth("invalid_request", "refresh_token is required")
        }
        guard RefreshToken.isWellFormed(presented) else { throw invalidGrant }
        let sessionID: String
        switch try app.store.spendRefreshToken(hash: RefreshToken.hash(presented), now: now) {
        case .unknown:
            throw invalidGrant
        case let .spent(id):
            sessionID = id
        case let .alreadySpent(id, at):
            let grace = Int64(app.config.refreshTokenReuseGraceSeconds)
            guard grace > 0, now - at <= grace else {
                if try app.store.endSession(id: id, reason: .refreshReuse, now: now) {
                    let owner = try app.store.session(id: id).flatMap { try app.store.user(id: $0.userID) }
                    app.audit(.refreshReuse, context.request, user: owner, outcome: "session ended", detail: "session \(id)")
                }
                throw invalidGrant
            }
            sessionID = id
        }
        guard let session = try app.store.session(id: sessionID), session.isLive(at: now, idleSeconds: app.config.sessionIdle),
              let user = try app.store.user(id: session.userID), !user.disabled
        else { throw invalidGrant }
        var scopes = session.scopes
        if let asked = context.form.text("scope"), !asked.trimmingWhitespace().isEmpty {
            let wanted = Store.unique(asked.split(whereSeparator: \.isWhitespace).map(String.init)).filter { $0 != TokenRoute.offlineAccess }
            let beyond = wanted.filter { !session.scopes.contains($0) }
            guard beyond.isEmpty else {
                throw HTTPError.oauth("invalid_scope", "Not granted to this session: \(beyond.joined(separator: " "))")
            }
            scopes = wanted
        }
        let successor = RefreshToken.successor(of: presented, key: session.refreshKey)
        try app.store.insertRefreshToken(hash: RefreshToken.hash(successor), sessionID: session.id, now: now)
        try app.store.touchSession(session, now: now)
        app.audit(.refreshed, context.request, user: user, detail: "session \(session.id)")
        return TokenRoute.answer(user: user, session: session.id, scopes: try TokenRoute.holdable(scopes, by: user, app: app),
                                 refreshToken: successor, app: app, now: now)
    }
}
