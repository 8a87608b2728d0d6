/// Superuser routes in the style of fastapi-users, guarded by role permissions. Nobody
/// hands out more than they hold: editing a user needs `users:write` and every scope and
/// permission that user holds; changing scopes or roles needs `users:roles`, and only
/// scopes and role permissions the caller holds can be given. The record comes back
/// only to a caller who may read it (`users:read`); others get 204.
enum AdminRoutes {
    static let notFound = HTTPError(404, "User not found")
    static let moreprivileged = HTTPError(403, "Cannot change a user who holds privileges you lack")

    static func list(_ context: inout Context) throws -> Output {
        let p = try context.parameters()
        let users = try context.app.store.listUsers(offset: p.int("offset") ?? 0, limit: p.int("limit") ?? 50)
        let total = try context.app.store.countUsers()
        return Output(.array(users.map(json)), headers: Headers([("x-total-count", String(total))]))
    }

    static func read(_ context: inout Context) throws -> Output {
        Output(json(try target(context)))
    }

    static func update(_ context: inout Context) throws -> Output {
        let app = context.app
        let caller = try context.requireIdentity()
        var user = try target(context)
        let before = user
        let body = try context.body(UserUpdate.self)
        try requireAtLeastAsPrivileged(caller, as: user, store: app.store)
        if let password = body.password {
            do { try PasswordPolicy(minLength: app.config.passwordMinLength).check(password) } catch {
                throw HTTPError.validation([ValidationIssue(
                    type: "value_error", loc: ["body", "password"], msg: "Value error, \(error)", input: .null)])
            }
        }
        if body.scopes != nil || body.roles != nil {
            guard caller.permissions.contains(Permissions.manageRoles) else { throw SecurityRequirement.forbidden }
        }
        if let scopes = body.scopes {
            let beyond = scopes.filter { !user.scopes.contains($0) && !caller.scopes.contains($0) }
            guard beyond.isEmpty else { throw HTTPError(403, "Cannot grant scopes you do not hold: \(beyond.joined(separator: " "))") }
        }
        if let roles = body.roles {
            let known = try app.store.listRoles()
            let unknown = roles.filter { name in !known.contains { $0.name == name } }
            guard unknown.isEmpty else { throw HTTPError(400, "Unknown role: \(unknown.joined(separator: " "))") }
            for role in known where roles.contains(role.name) && !user.roles.contains(role.name) {
                guard role.permissions.allSatisfy(caller.permissions.contains) else {
                    throw HTTPError(403, "Cannot grant role '\(role.name)': it holds permissions you lack")
                }
            }
        }
        let hash = try body.password.map(app.hasher.hash)
        try app.store.transaction {
            if let email = body.email { user.email = email }
            if let fullName = body.fullName { user.fullName = fullName }
            if let disabled = body.disabled { user.disabled = disabled }
            if let scopes = body.scopes { user.scopes = scopes }
            try app.store.updateUser(user, now: app.now())
            if let roles = body.roles {
                for role in user.roles where !roles.contains(role) { try app.store.revokeRole(userID: user.id, role: role) }
                for role in roles where !user.roles.contains(role) { try app.store.grantRole(userID: user.id, role: role) }
            }
            if let hash { try app.store.setPasswordHash(userID: user.id, hash: hash, now: app.now()) }
        }
        app.auditChanges(context.request, from: before, actor: caller, passwordChanged: hash != nil)
        guard caller.permissions.contains(Permissions.readUsers) else { return Output(status: 204) }
        guard let saved = try app.store.user(id: user.id) else { throw notFound }
        return Output(json(saved))
    }

    static func delete(_ context: inout Context) throws -> Output {
        let user = try target(context)
        try requireAtLeastAsPrivileged(try context.requireIdentity(), as: user, store: context.app.store)
        try context.app.store.deleteUser(id: user.id)
        context.app.audit(.userDeleted, context.request, user: user, actor: context.identity)
        return .empty
    }

    /// A password reset, a disable or a delete of someone who can do more than the caller
    /// would hand the caller (or take from the site) what it was never given.
    static func requireAtLeastAsPrivileged(_ caller: Identity, as user: User, store: Store) throws {
        let permissions = try store.permissions(forRoles: user.roles)
        guard user.scopes.allSatisfy(caller.scopes.contains), permissions.allSatisfy(caller.permissions.contains) else {
            throw moreprivileged
        }
    }

    static func target(_ context: Context) throws -> User {
        guard let id = try context.parameters().int("user_id"), let user = try context.app.store.user(id: Int64(id)) else {
            throw notFound
        }
        return user
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

/// The permissions Gatehouse's own routes check.
public enum Permissions {
    public static let readUsers = "users:read"
    public static let writeUsers = "users:write"
    public static let manageRoles = "users:roles"
    public static let introspectTokens = "tokens:introspect"
    /// Create invite codes (`POST /invites`, with `registration = invite`).
    public static let invite = "users:invite"
}
