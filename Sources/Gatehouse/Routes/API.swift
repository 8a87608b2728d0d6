extension App {
    /// The API's route table: the one source for routing, security checks and /openapi.json.
    static func routes(config: Config) -> [Route] {
        let schemes = Schemes(config: config)
        var routes = [
            Route("POST", "/token", name: "login_for_access_token", body: .form(Models.loginForm),
                  response: .model(Models.token), handler: TokenRoute.login),
            Route("GET", "/users/me/", name: "read_users_me",
                  security: schemes.user(readOnly: true, scopes: ["me"]),
                  response: .model(Models.user), handler: UserRoutes.readMe),
            Route("GET", "/users/me/api-keys", name: "list_api_keys",
                  security: schemes.login(scopes: ["me"]),
                  response: .list(Models.apiKey), handler: APIKeyRoutes.list),
            Route("POST", "/users/me/api-keys", name: "create_api_key",
                  security: schemes.login(scopes: ["me"]), body: .json(Models.apiKeyCreate), status: 201,
                  response: .model(Models.apiKeyCreated), handler: APIKeyRoutes.create),
            Route("DELETE", "/users/me/api-keys/{key_id}", name: "revoke_api_key",
                  security: schemes.login(scopes: ["me"]),
                  parameters: [.init("key_id", in: .path, .string())], status: 204, response: .empty,
                  handler: APIKeyRoutes.revoke),
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
                  response: .model(Models.userRead), handler: AdminRoutes.read),
            Route("PATCH", "/users/{user_id:int}", name: "update_user",
                  security: schemes.admin(permission: Permissions.writeUsers), body: .json(Models.userUpdate),
                  parameters: [.init("user_id", in: .path, .int())],
                  response: .model(Models.userRead), handler: AdminRoutes.update),
            Route("DELETE", "/users/{user_id:int}", name: "delete_user",
                  security: schemes.admin(permission: Permissions.writeUsers),
                  parameters: [.init("user_id", in: .path, .int())], status: 204, response: .empty,
                  handler: AdminRoutes.delete),
            Route("GET", "/check", name: "check",
                  security: schemes.user(readOnly: true, scopes: [], activeUser: false),
                  parameters: ["scope", "role", "permission", "user"].map {
                      .init($0, in: .query, .optional(.string()), default: .null)
                  },
                  status: 204, response: .empty, handler: CheckRoutes.check),
            Route("POST", "/token/introspect", name: "introspect_token",
                  security: schemes.admin(permission: Permissions.introspectTokens), body: .form(Models.introspectionForm),
                  handler: CheckRoutes.introspect),
            Route("GET", "/health", name: "health") { _ in .json(.object([("status", "ok")])) },
            Route("GET", "/openapi.json", name: "openapi") { context in
                .json(OpenAPI.document(for: context.app, prefix: context.request.scriptName))
            },
        ]
        if config.demo {
            routes += [
                Route("GET", "/users/me/items/", name: "read_own_items",
                      security: schemes.user(readOnly: true, scopes: ["items", "me"]), handler: UserRoutes.readItems),
                Route("GET", "/status/", name: "read_system_status",
                      security: schemes.user(readOnly: true, scopes: [], activeUser: false),
                      handler: UserRoutes.status),
            ]
        }
        return routes
    }
}

/// The schemes the routes accept, configured once.
struct Schemes {
    let bearer = OAuth2PasswordBearer(tokenPath: "token")
    let keyHeader: APIKeyScheme
    let keyQuery: APIKeyScheme
    let keyCookie: APIKeyScheme
    let basic: HTTPBasic

    init(config: Config) {
        keyHeader = APIKeyScheme(.header, name: config.apiKeyHeader)
        keyQuery = APIKeyScheme(.query, name: config.apiKeyQuery)
        keyCookie = APIKeyScheme(.cookie, name: config.apiKeyCookie)
        basic = HTTPBasic(realm: config.basicRealm)
    }

    /// A JWT, an API key or HTTP Basic. Keys in the query or a cookie only where a
    /// request cannot change anything: a cookie is sent by any page that links here.
    func user(readOnly: Bool, scopes: [String], activeUser: Bool = true) -> SecurityRequirement {
        let keys: [any SecurityScheme] = readOnly ? [keyHeader, keyQuery, keyCookie] : [keyHeader]
        return SecurityRequirement(schemes: [bearer] + keys + [basic], scopes: scopes, activeUser: activeUser)
    }

    /// A token or a password: what may mint a new credential.
    func login(scopes: [String]) -> SecurityRequirement {
        SecurityRequirement(schemes: [bearer, basic], scopes: scopes)
    }

    func admin(permission: String) -> SecurityRequirement {
        SecurityRequirement(schemes: [bearer, keyHeader, basic], permissions: [permission])
    }
}
