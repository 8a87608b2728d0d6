/// `/users/me/api-keys`: a user's own keys. The secret is shown once, at creation.
enum APIKeyRoutes {
    static func create(_ context: inout Context) throws -> Output {
        let app = context.app
        let identity = try context.requireIdentity()
        let user = identity.user
        let body = try context.body(APIKeyCreate.self)
        let scopes = body.scopes
        let beyond = scopes.filter { !identity.scopes.contains($0) && !identity.permissions.contains($0) }
        guard beyond.isEmpty else {
            throw HTTPError(403, "Requested scopes exceed your own: \(beyond.joined(separator: " "))")
        }
        let (record, key) = try APIKeys.issue(
            in: app.store, userID: user.id, name: body.name, scopes: scopes, expiresInDays: body.expiresInDays, now: app.now())
        app.audit(.apiKeyCreated, context.request, user: user, actor: identity, detail: "key \(record.id)")
        return Output(.object(fields(record) + [("key", .string(key))]))
    }

    static func list(_ context: inout Context) throws -> Output {
        let keys = try context.app.store.listAPIKeys(userID: try context.user.id)
        return Output(.array(keys.map { .object(fields($0)) }))
    }

    static func revoke(_ context: inout Context) throws -> Output {
        let owner = try context.user
        guard let id = try context.parameters().string("key_id"),
              try context.app.store.revokeAPIKey(id: id, userID: owner.id, now: context.app.now())
        else { throw HTTPError(404, "API key not found") }
        context.app.audit(.apiKeyRevoked, context.request, user: owner, actor: context.identity, detail: "key \(id)")
        return .empty
    }

    static func fields(_ key: APIKeyRecord) -> [(String, JSON)] {
        [
            ("id", .string(key.id)),
            ("name", .string(key.name)),
            ("scopes", .strings(key.scopes)),
            ("created_at", ISOTime.json(key.createdAt)),
            ("expires_at", ISOTime.json(key.expiresAt)),
            ("last_used_at", ISOTime.json(key.lastUsedAt)),
            ("revoked_at", ISOTime.json(key.revokedAt)),
        ]
    }
}
