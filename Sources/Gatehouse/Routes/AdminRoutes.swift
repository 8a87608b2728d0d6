/// Superuser routes in the style of fastapi-users, guarded by role permissions.
enum AdminRoutes {
    static let notFound = HTTPError(404, "User not found")

    static func list(_ context: inout Context) throws -> Response {
        let p = try context.parameters()
        let users = try context.app.store.listUsers(offset: p.int("offset")!, limit: p.int("limit")!)
        let total = try context.app.store.countUsers()
        return .json(.array(users.map(json)), headers: Headers([("x-total-count", String(total))]))
    }

    static func read(_ context: inout Context) throws -> Response {
        .json(json(try target(context)))
    }

    static func update(_ context: inout Context) throws -> Response {
        let app = context.app
        var user = try target(context)
        let body = try Models.userUpdate.validate(json: context.json)
        let now = app.now()
        if let password = body.string("password") {
            do { try PasswordPolicy(minLength: app.config.passwordMinLength).check(password) } catch {
                throw HTTPError.validation([ValidationIssue(
                    type: "value_error", loc: ["body", "password"], msg: "Value error, \(error)", input: .null)])
            }
        }
        // The store refuses these too, but only at the write, which made the client's mistake a 500.
        let badScopes = (body.strings("scopes") ?? []).enumerated().filter { !Store.validScope($0.element) }
        guard badScopes.isEmpty else {
            throw HTTPError.validation(badScopes.map { i, scope in ValidationIssue(
                type: "value_error", loc: ["body", "scopes", .int(i)],
                msg: "Value error, a scope is printable ASCII without spaces, quotes or backslashes",
                input: .string(scope)) })
        }
        if let roles = body.strings("roles") {
            let known = Set(try app.store.listRoles().map(\.name))
            let unknown = roles.filter { !known.contains($0) }
            guard unknown.isEmpty else { throw HTTPError(400, "Unknown role: \(unknown.joined(separator: " "))") }
        }
        if body.present.contains("email") { user.email = body.string("email") }
        if body.present.contains("full_name") { user.fullName = body.string("full_name") }
        if let disabled = body.bool("disabled") { user.disabled = disabled }
        if let scopes = body.strings("scopes") { user.scopes = unique(scopes) }
        try app.store.updateUser(user, now: now)
        if let roles = body.strings("roles") {
            for role in user.roles where !roles.contains(role) { try app.store.revokeRole(userID: user.id, role: role) }
            for role in unique(roles) where !user.roles.contains(role) { try app.store.grantRole(userID: user.id, role: role) }
        }
        if let password = body.string("password") {
            try app.store.setPasswordHash(userID: user.id, hash: try app.hasher.hash(password), now: now)
        }
        guard let saved = try app.store.user(id: user.id) else { throw notFound }
        return .json(json(saved))
    }

    static func delete(_ context: inout Context) throws -> Response {
        let user = try target(context)
        try context.app.store.deleteUser(id: user.id)
        return .empty(status: 204)
    }

    static func target(_ context: Context) throws -> User {
        let id = try context.parameters().int("user_id")!
        guard let user = try context.app.store.user(id: Int64(id)) else { throw notFound }
        return user
    }

    static func unique(_ values: [String]) -> [String] {
        var out: [String] = []
        for v in values where !out.contains(v) { out.append(v) }
        return out
    }

    static func json(_ user: User) -> JSON {
        .object([
            ("id", .int(Int(user.id))),
            ("username", .string(user.username)),
            ("email", .optional(user.email)),
            ("full_name", .optional(user.fullName)),
            ("disabled", .bool(user.disabled)),
            ("scopes", .strings(user.scopes)),
            ("roles", .strings(user.roles)),
            ("created_at", ISOTime.json(user.createdAt)),
            ("updated_at", ISOTime.json(user.updatedAt)),
        ])
    }
}
