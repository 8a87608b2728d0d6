/// `/users/me/api-keys`: a user's own keys. The secret is shown once, at creation.
enum APIKeyRoutes {
    static func create(_ context: inout Context) throws -> Response {
        let app = context.app
        let identity = try context.requireIdentity()
        let user = identity.user
        let body = try Models.apiKeyCreate.validate(json: context.json)
        let scopes = Store.unique(body.strings("scopes") ?? [])
        let beyond = scopes.filter { !identity.scopes.contains($0) && !identity.permissions.contains($0) }
        guard beyond.isEmpty else {
            throw HTTPError(403, "Requested scopes exceed your own: \(beyond.joined(separator: " "))")
        }
        let (record, key) = try APIKeys.issue(
            in: app.store, userID: user.id, name: body.string("name") ?? "", scopes: scopes,
            expiresInDays: body.int("expires_in_days"), now: app.now())
        app.audit(.apiKeyCreated, context.request, user: user, actor: identity, detail: "key \(record.id)")
        guard case let .object(members) = json(record) else { throw HTTPError.internalServerError }
        return .json(.object(members + [("key", .string(key))]), status: 201)
    }

    static func list(_ context: inout Context) throws -> Response {
        let keys = try context.app.store.listAPIKeys(userID: try context.user.id)
        return .json(.array(keys.map(json)))
    }

    static func revoke(_ context: inout Context) throws -> Response {
        guard let id = try context.parameters().string("key_id"), try context.app.store.revokeAPIKey(id: id, userID: try context.user.id, now: context.app.now()) else {
            throw HTTPError(404, "API key not found")
        }
        context.app.audit(.apiKeyRevoked, context.request, user: try context.user, actor: context.identity, detail: "key \(id)")
        return .empty(status: 204)
    }

    static func json(_ key: APIKeyRecord) -> JSON {
        .object([
            ("id", .string(key.id)),
            ("name", .string(key.name)),
            ("scopes", .strings(key.scopes)),
            ("created_at", ISOTime.json(key.createdAt)),
            ("expires_at", ISOTime.json(key.expiresAt)),
            ("last_used_at", ISOTime.json(key.lastUsedAt)),
            ("revoked_at", ISOTime.json(key.revokedAt)),
        ])
    }
}
