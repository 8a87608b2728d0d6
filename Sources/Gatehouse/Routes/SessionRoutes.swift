/// Ending sessions: logout, RFC 7009 revocation, and a user's own list of sessions.
enum SessionRoutes {
    /// `POST /logout`: the session of the presented token ends; its refresh tokens with it.
    static func logout(_ context: inout Context, _ identity: Identity) throws -> Output {
        guard let sessionID = identity.sessionID else { throw HTTPError(400, "No session to end: log out with a token") }
        try context.app.store.endSession(id: sessionID, reason: .logout, now: context.app.now())
        context.app.audit(.logout, context.request, user: identity.user, actor: identity, detail: "session \(sessionID)")
        return identity.kind == .sessionCookie ? SignInRoutes.signedOut(context.request) : .empty
    }

    /// `POST /revoke` (RFC 7009): a refresh or access token ends its session. An unknown or
    /// malformed token is 200 all the same (§2.2): the answer says nothing about it.
    static func revoke(_ context: inout Context) throws -> Output {
        let app = context.app
        let form = try context.body(RevocationForm.self)
        let now = app.now()
        var ended: String?
        if RefreshToken.isWellFormed(form.token) {
            if let id = try app.store.refreshTokenSession(hash: RefreshToken.hash(form.token)),
               try app.store.endSession(id: id, reason: .revoked, now: now) { ended = id }
        } else if let token = app.accessTokens.read(form.token, now: now),
                  try app.store.endSession(id: token.sessionID, userID: token.userID, reason: .revoked, now: now) {
            ended = token.sessionID
        }
        if let ended {
            let owner = try app.store.session(id: ended).flatMap { try app.store.user(id: $0.userID) }
            app.audit(.sessionEnded, context.request, user: owner, detail: "session \(ended) revoked")
        }
        return .empty
    }

    /// `GET /users/me/sessions`: the user's live sessions, the one of the presented token marked.
    static func list(_ context: inout Context, _ identity: Identity) throws -> Output {
        let app = context.app
        let now = app.now()
        let live = try app.store.listSessions(userID: identity.user.id).filter { $0.isLive(at: now, idleSeconds: app.config.sessionIdle) }
        return Output(.array(live.map { session in
            .object([
                ("id", .string(session.id)), ("created_at", ISOTime.json(session.createdAt)),
                ("last_seen_at", ISOTime.json(session.lastSeenAt)), ("expires_at", ISOTime.json(session.expiresAt)),
                ("client_address", .string(session.clientAddress)), ("user_agent", .string(session.userAgent)),
                ("scopes", .strings(session.scopes)), ("current", .bool(session.id == identity.sessionID)),
            ])
        }))
    }

    static func end(_ context: inout Context, _ identity: Identity) throws -> Output {
        guard let id = try context.parameters().string("session_id"),
              try context.app.store.endSession(id: id, userID: identity.user.id, reason: .revoked, now: context.app.now())
        else { throw HTTPError(404, "Session not found") }
        context.app.audit(.sessionEnded, context.request, user: identity.user, actor: identity, detail: "session \(id) revoked")
        return .empty
    }

    /// Every session but the current one ("sign out everywhere else").
    static func endOthers(_ context: inout Context, _ identity: Identity) throws -> Output {
        let ended = try context.app.store.endSessions(userID: identity.user.id, except: identity.sessionID, reason: .revoked,
                                                      now: context.app.now())
        context.app.audit(.sessionEnded, context.request, user: identity.user, actor: identity, detail: "\(ended) other sessions")
        return .empty
    }
}

/// RFC 7009 §2.1's request.
struct RevocationForm: RequestBody {
    static let model = Model("Body_revoke_token_revoke_post", [
        .init("token", .string(minLength: 1)),
        .init("token_type_hint", .optional(.string()), default: .null),
    ])

    let token: String

    init(_ fields: Validated) { token = fields.string("token") ?? "" }
}
