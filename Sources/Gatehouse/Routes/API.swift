extension App {
    /// The API's route table: the one source for routing, security checks, the answers'
    /// shapes and statuses, and /openapi.json.
    static func routes(config: Config, schemes: Schemes) -> [Route] {
        var routes = [
            Route("POST", "/token", name: "login_for_access_token", body: .form(LoginForm.self),
                  response: .model(Models.token), errors: [400, 503], handler: TokenRoute.token),
            Route("GET", "/users/me/", name: "read_users_me",
                  security: schemes.user(scopes: ["me"], sessionCookie: true),
                  response: .model(Models.user), handler: UserRoutes.readMe),
            Route("PATCH", "/users/me/", name: "update_users_me",
                  security: schemes.login(scopes: ["me"]), body: .json(ProfileUpdate.self),
                  response: .model(Models.user), errors: [400, 429], handler: ProfileRoutes.update),
            Route("GET", "/users/me/api-keys", name: "list_api_keys",
                  security: schemes.login(scopes: ["me"]),
                  response: .list(Models.apiKey), handler: APIKeyRoutes.list),
            Route("POST", "/users/me/api-keys", name: "create_api_key",
                  security: schemes.login(scopes: ["me"]), body: .json(APIKeyCreate.self), status: 201,
                  response: .model(Models.apiKeyCreated), errors: [403], handler: APIKeyRoutes.create),
            Route("DELETE", "/users/me/api-keys/{key_id}", name: "revoke_api_key",
                  security: schemes.login(scopes: ["me"]),
                  parameters: [.init("key_id", in: .path, .string())], status: 204, response: .empty, errors: [404],
                  handler: APIKeyRoutes.revoke),
            Route("GET", "/users/me/totp", name: "read_totp", security: schemes.login(scopes: ["me"]),
                  response: .model(Models.totpStatus), handler: TwoFactorRoutes.status),
            Route("POST", "/users/me/totp", name: "start_totp_enrolment", security: schemes.login(scopes: ["me"]),
                  body: .json(TOTPProof.self), response: .model(Models.totpEnrolment), handler: TwoFactorRoutes.enrol),
            Route("POST", "/users/me/totp/confirm", name: "confirm_totp", security: schemes.login(scopes: ["me"]),
                  body: .json(TOTPConfirmation.self), response: .model(Models.recoveryCodes), handler: TwoFactorRoutes.confirm),
            Route("DELETE", "/users/me/totp", name: "disable_totp", security: schemes.login(scopes: ["me"]),
                  body: .json(TOTPProof.self), status: 204, response: .empty, handler: TwoFactorRoutes.disable),
            Route("POST", "/logout", name: "logout", security: schemes.token(orCookie: true), status: 204, response: .empty,
                  errors: [400, 503], alternatives: [303], handler: SessionRoutes.logout),
            Route("GET", "/login", name: "sign_in_page", parameters: [.init("rd", in: .query, .optional(.string()), default: .null)],
                  response: .html, handler: SignInRoutes.page),
            Route("POST", "/login", name: "sign_in", body: .form(SignInForm.self), status: 303, response: .empty,
                  errors: [403, 503], alternatives: [200, 401, 429], handler: SignInRoutes.signIn),
            Route("POST", "/login/code", name: "sign_in_code", body: .form(SignInCodeForm.self), status: 303, response: .empty,
                  errors: [403, 503], alternatives: [401, 429], handler: SignInRoutes.signInCode),
            Route("POST", "/revoke", name: "revoke_token", body: .form(RevocationForm.self), response: .empty, errors: [400, 503],
                  handler: SessionRoutes.revoke),
            Route("GET", "/users/me/sessions", name: "list_sessions", security: schemes.login(scopes: ["me"]),
                  response: .list(Models.session), handler: SessionRoutes.list),
            Route("DELETE", "/users/me/sessions", name: "end_other_sessions", security: schemes.login(scopes: ["me"]),
                  status: 204, response: .empty, handler: SessionRoutes.endOthers),
            Route("DELETE", "/users/me/sessions/{session_id}", name: "end_session", security: schemes.login(scopes: ["me"]),
                  parameters: [.init("session_id", in: .path, .string())], status: 204, response: .empty, errors: [404],
                  handler: SessionRoutes.end),
            Route("GET", "/users/", name: "list_users",
                  security: schemes.admin(permission: Permissions.readUsers),
                  parameters: [
                      .init("offset", in: .query, .int(minimum: 0), default: 0),
                      .init("limit", in: .query, .int(minimum: 1, maximum: 100), default: 50),
                  ],
                  response: .list(Models.userRead), handler: AdminRoutes.list),
            Route("GET", "/users/{user_id:int}", name: "read_user",
                  security: schemes.admin(permission: Permissions.readUsers),
                  parameters: [.init("user_id", in: .path, .int())],
                  response: .model(Models.userRead), errors: [404], handler: AdminRoutes.read),
            Route("PATCH", "/users/{user_id:int}", name: "update_user",
                  security: schemes.admin(permission: Permissions.writeUsers), body: .json(UserUpdate.self),
                  parameters: [.init("user_id", in: .path, .int())],
                  response: .model(Models.userRead), errors: [400, 403, 404], alternatives: [204],
                  handler: AdminRoutes.update),
            Route("DELETE", "/users/{user_id:int}", name: "delete_user",
                  security: schemes.admin(permission: Permissions.writeUsers),
                  parameters: [.init("user_id", in: .path, .int())], status: 204, response: .empty, errors: [403, 404],
                  handler: AdminRoutes.delete),
            Route("GET", "/check", name: "check",
                  security: schemes.user(scopes: [], activeUser: false, keysInQueryAndCookie: true, sessionCookie: true),
                  parameters: ["scope", "role", "permission", "user", "mfa", "verified"].map {
                      .init($0, in: .query, .optional(.string()), default: .null)
                  },
                  status: 204, response: .empty, errors: [403], handler: CheckRoutes.check),
            Route("POST", "/token/introspect", name: "introspect_token",
                  security: schemes.admin(permission: Permissions.introspectTokens), body: .form(IntrospectionForm.self),
                  handler: CheckRoutes.introspect),
            Route("GET", "/health", name: "health") { _ in Output(.object([("status", "ok")])) },
            Route("GET", "/metrics", name: "metrics", errors: [403], handler: MetricsRoute.metrics).hiddenFromSchema(),
            Route("GET", "/.well-known/jwks.json", name: "jwks") { context in Output(context.app.jwks) },
            Route("GET", "/openapi.json", name: "openapi") { context in
                Output(OpenAPI.document(for: context.app, prefix: context.request.scriptName))
            }.hiddenFromSchema(),
            Route("GET", "/docs", name: "swagger_ui_html", response: .html, handler: DocsPage.page).hiddenFromSchema(),
        ]
        routes += accountRoutes(config: config, schemes: schemes)
        if config.demo {
            routes += [
                Route("GET", "/users/me/items/", name: "read_own_items",
                      security: schemes.user(scopes: ["items", "me"], keysInQueryAndCookie: true),
                      handler: UserRoutes.readItems),
                Route("GET", "/status/", name: "read_system_status",
                      security: schemes.user(scopes: [], activeUser: false, keysInQueryAndCookie: true),
                      handler: UserRoutes.status),
            ]
        }
        return routes
    }
}

extension App {
    /// Self-service: registration while it is not closed, and the routes that mail while
    /// something delivers mail.
    static func accountRoutes(config: Config, schemes: Schemes) -> [Route] {
        var routes: [Route] = []
        if config.registration != .closed {
            routes.append(Route("POST", "/register", name: "register", body: .json(UserCreate.self), status: 201,
                                response: .model(Models.userRead), errors: [400, 429, 503], handler: RegistrationRoutes.register))
        }
        if config.registration == .invite {
            routes.append(Route("POST", "/invites", name: "create_invite",
                                security: schemes.admin(permission: Permissions.invite), body: .json(InviteCreate.self), status: 201,
                                response: .model(Models.invite), handler: RegistrationRoutes.createInvite))
        }
        if config.sendsMail {
            routes += [
                Route("POST", "/verify/request", name: "request_verify_token", body: .json(AccountLookup.self), status: 202,
                      errors: [429], handler: VerificationRoutes.request),
                Route("POST", "/verify", name: "verify", body: .json(TokenBody.self), response: .model(Models.user),
                      errors: [400], handler: VerificationRoutes.verify),
                Route("POST", "/forgot-password", name: "forgot_password", body: .json(AccountLookup.self), status: 202,
                      errors: [429], handler: PasswordResetRoutes.forgot),
                Route("POST", "/reset-password", name: "reset_password", body: .json(ResetPassword.self),
                      errors: [400, 503], handler: PasswordResetRoutes.reset),
            ]
        }
        return routes
    }
}

/// The schemes routes accept, configured once: what a route of the API or of a site that
/// builds on Gatehouse names in its requirement.
public struct Schemes: Sendable {
    public let bearer: OAuth2PasswordBearer
    public let keyHeader: APIKeyScheme
    public let keyQuery: APIKeyScheme
    public let keyCookie: APIKeyScheme
    public let basic: HTTPBasic
    public let sessionCookie = SessionCookieScheme()

    public init(config: Config) {
        bearer = OAuth2PasswordBearer(tokenPath: "token")
        keyHeader = APIKeyScheme(.header, name: config.apiKeyHeader)
        keyQuery = APIKeyScheme(.query, name: config.apiKeyQuery)
        keyCookie = APIKeyScheme(.cookie, name: config.apiKeyCookie)
        basic = HTTPBasic(realm: config.basicRealm)
    }

    /// A JWT, an API key or HTTP Basic. `keysInQueryAndCookie` also takes a key from the
    /// query or a cookie: only for routes that change nothing, since a cookie is sent by any
    /// page that links here and a query string ends up in logs.
    /// `sessionCookie` also takes the browser's session cookie (the sign-in page's), last: a
    /// request that also carries a token, a key or a password is that credential's.
    /// `verifiedEmail` also needs the account's email to be verified.
    public func user(scopes: [String], roles: [String] = [], activeUser: Bool = true, keysInQueryAndCookie: Bool = true,
                     sessionCookie: Bool = false, verifiedEmail: Bool = false) -> SecurityRequirement
    {
        let keys: [any SecurityScheme] = keysInQueryAndCookie ? [keyHeader, keyQuery, keyCookie] : [keyHeader]
        let cookie: [any SecurityScheme] = sessionCookie ? [self.sessionCookie] : []
        return SecurityRequirement(schemes: [bearer] + keys + [basic] + cookie, scopes: scopes, activeUser: activeUser,
                                   roles: roles, verifiedEmail: verifiedEmail)
    }

    /// A token (or the browser's session cookie): what belongs to a session.
    public func token(scopes: [String] = [], orCookie: Bool = false) -> SecurityRequirement {
        SecurityRequirement(schemes: [bearer] + (orCookie ? [sessionCookie] : []), scopes: scopes, activeUser: false)
    }

    /// A token, a password or the browser's session cookie (a password sign-in too): what may
    /// mint or manage credentials. A key never may.
    public func login(scopes: [String]) -> SecurityRequirement {
        SecurityRequirement(schemes: [bearer, basic, sessionCookie], scopes: scopes)
    }

    public func admin(permission: String) -> SecurityRequirement {
        SecurityRequirement(schemes: [bearer, keyHeader, basic], permissions: [permission])
    }
}
