/// Routes for the rest of the site: nginx's `auth_request` and token introspection.
enum CheckRoutes {
    /// `GET /check?scope=a+b`: 204 when the request's credential is valid, its user active
    /// and holding every scope asked for; 401 otherwise, or 403 for a valid credential that
    /// is not enough. nginx's auth_request reads only 2xx, 401 and 403 (anything else is a
    /// 500 to the client), so the inactive user's 400 becomes 403 here.
    static func check(_ context: inout Context) throws -> Response {
        guard let identity = context.identity else { throw HTTPError.internalServerError }
        let wanted = (try context.parameters().string("scope") ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
        if identity.user.disabled { throw HTTPError(403, "Inactive user") }
        let missing = wanted.filter { !identity.scopes.contains($0) }
        guard missing.isEmpty else { throw HTTPError(403, "Not enough permissions") }
        return .empty(status: 204, headers: Headers([
            ("x-gatehouse-user", identity.user.username),
            ("x-gatehouse-scopes", identity.scopes.joined(separator: " ")),
        ]))
    }

    /// `GET /token/introspect` (HTTPBearer): what the presented token says, in RFC 7662's
    /// shape; a token that does not verify is `{"active":false}`, never an error.
    static func introspect(_ context: inout Context) throws -> Response {
        guard case let .authorization(_, token)? = context.credential else { throw HTTPError.internalServerError }
        let inactive = Response.json(.object([("active", false)]), headers: noStore)
        guard let claims = try? context.app.keys.verify(token, now: context.app.now()),
              let sub = claims.last(where: { $0.0 == "sub" })?.1.stringValue,
              let user = try context.app.store.user(named: sub), !user.disabled
        else { return inactive }
        var members: [(String, JSON)] = [("active", true), ("sub", .string(sub)), ("token_type", "Bearer")]
        for name in ["scope", "exp", "iat", "nbf", "aud", "iss", "jti"] {
            if let value = claims.last(where: { $0.0 == name })?.1 { members.append((name, value)) }
        }
        return .json(.object(members), headers: noStore)
    }

    static let noStore = Headers([("cache-control", "no-store")])
}
