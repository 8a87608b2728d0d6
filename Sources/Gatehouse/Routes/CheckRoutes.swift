import Synchronization

/// Routes for the rest of the site: nginx's `auth_request` and token introspection.
enum CheckRoutes {
    /// `GET /check?scope=a+b&role=x,y&permission=p&user=u&mfa=1`: 204 when the request's credential
    /// is valid, its user active, and every rule holds; 401 otherwise, or 403 for a valid
    /// credential that is not enough. `scope` needs all the scopes listed; `role`, `permission`
    /// and `user` need one of a comma-separated list, and repeating one needs each; `mfa=1` needs
    /// a sign-in that gave a second factor (no API key, no Basic, no password alone). A rule
    /// Gatehouse does not know denies (403): a typo must never open a location. nginx's
    /// auth_request reads only 2xx, 401 and 403 (anything else is a 500 to the client), so
    /// the inactive user's 400 becomes 403 here.
    static func check(_ context: inout Context) throws -> Output {
        let identity = try context.requireIdentity()
        if identity.user.disabled { throw HTTPError(403, "Inactive user") }
        for (name, value) in context.request.query.pairs {
            switch name {
            case "scope":
                let wanted = value.split(whereSeparator: \.isWhitespace)
                guard wanted.allSatisfy({ identity.scopes.contains(String($0)) }) else { throw denied }
            case "mfa" where value == "1":
                guard identity.secondFactor else { throw SecurityRequirement.secondFactorRequired }
            case "role", "permission", "user":
                let anyOf = value.split(separator: ",").map(String.init)
                let held: [String]
                switch name {
                case "role": held = identity.user.roles
                case "permission": held = identity.permissions
                default: held = [identity.user.username.lowercased()]
                }
                guard anyOf.contains(where: { held.contains(name == "user" ? $0.lowercased() : $0) }) else { throw denied }
            case "verified" where value == "true" || value == "1":
                guard identity.user.emailVerified else { throw HTTPError(403, "Email not verified") }
            default:
                unknownRules.reportOnce(name, to: context.app)
                throw denied
            }
        }
        var headers = IdentityHeaders.headers(for: identity, style: context.app.config.identityHeaders)
        if let assertion = try context.app.identityAssertion(for: identity) { headers.add("x-gatehouse-assertion", assertion) }
        let cache = context.app.config.checkCacheSeconds
        headers.add("x-accel-expires", String(cache))
        if cache > 0 { headers.add("cache-control", "private, max-age=\(cache)") }
        return Output(headers: headers)
    }

    static let denied = HTTPError(403, "Not enough permissions")
    static let unknownRules = LoggedOnce()

    /// `POST /token/introspect` (RFC 7662): for a caller holding `tokens:introspect`, what
    /// the token in the form grants right now, after the same checks a protected route
    /// makes (its account, the scopes the account still holds, the account's state). A
    /// token that is not current, or an inactive account's, is `{"active":false}`.
    static func introspect(_ context: inout Context) throws -> Output {
        let app = context.app
        let form = try context.body(IntrospectionForm.self)
        let inactive = Output(.object([("active", false)]))
        guard let (user, token, _) = try app.currentAccessToken(form.token), !user.disabled else {
            return inactive
        }
        let identity = try app.identity(user, holding: token.scopes, kind: .token)
        var members: [(String, JSON)] = [
            ("active", true), ("scope", .string((identity.scopes + identity.permissions).joined(separator: " "))),
            ("username", .string(user.username)), ("token_type", "Bearer"),
            ("exp", .int(Int(token.expiresAt))), ("iat", .int(Int(token.issuedAt))),
            ("sub", .string(user.username)), ("uid", .int(Int(user.id))),
        ]
        if let issuer = app.config.jwtIssuer { members.append(("iss", .string(issuer))) }
        if let audience = app.config.jwtAudience { members.append(("aud", .string(audience))) }
        return Output(.object(members))
    }
}

/// Who the upstream is serving, as /check hands it over on 2xx (nginx: `auth_request_set`).
/// Values are sent as UTF-8 bytes; a header value can never carry a line break.
enum IdentityHeaders {
    static func headers(for identity: Identity, style: IdentityHeaderStyle) -> Headers {
        let user = identity.user
        // A header carries bytes: UTF-8 goes out as its bytes, each read as a latin-1 scalar.
        func utf8(_ s: String) -> String { s.utf8.allSatisfy { $0 < 0x80 } ? s : Latin1.string(Array(s.utf8)) }
        var headers = Headers(minimumCapacity: 10)
        switch style {
        case .gatehouse:
            headers.add("x-gatehouse-user", user.username)
            headers.add("x-gatehouse-user-id", String(user.id))
            headers.add("x-gatehouse-email", utf8(user.email ?? ""))
            headers.add("x-gatehouse-name", utf8(user.fullName ?? ""))
            headers.add("x-gatehouse-scopes", identity.scopes.joined(separator: " "))
            headers.add("x-gatehouse-roles", user.roles.joined(separator: ","))
            headers.add("x-gatehouse-session", identity.sessionID ?? "")
        case .authelia:
            headers.add("remote-user", user.username)
            headers.add("remote-groups", user.roles.joined(separator: ","))
            headers.add("remote-email", utf8(user.email ?? ""))
            headers.add("remote-name", utf8(user.fullName ?? ""))
        }
        return headers
    }
}

/// Names already written to the log, so that a repeated mistake is logged once per process.
final class LoggedOnce: Sendable {
    private let seen = Mutex<Set<String>>([])
    static let capacity = 100

    func reportOnce(_ name: String, to app: App) {
        let isNew = seen.withLock { seen in
            guard seen.count < LoggedOnce.capacity else { return false }
            return seen.insert(name).inserted
        }
        if isNew { app.logger.warning("check: unknown rule '\(LogText.escaped(name))' denies the request") }
    }
}
