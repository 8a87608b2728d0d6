/// What a route needs, declared once like FastAPI's `Security(dep, scopes=[…])`: the
/// schemes it accepts (the first that presents a credential decides), the OAuth2 scopes
/// (401 with the `Bearer scope="…"` challenge), whether the user must be active (400),
/// the roles or permissions it needs (403), and whether the sign-in must have given a second
/// factor (403: a session from a password and a one-time code, not a key or a password alone).
public struct SecurityRequirement: Sendable {
    public var schemes: [any SecurityScheme]
    public var scopes: [String]
    public var activeUser: Bool
    public var roles: [String]
    public var permissions: [String]
    public var secondFactor: Bool
    /// The account's email must be verified (403 otherwise).
    public var verifiedEmail: Bool

    public init(
        schemes: [any SecurityScheme], scopes: [String] = [], activeUser: Bool = true,
        roles: [String] = [], permissions: [String] = [], secondFactor: Bool = false, verifiedEmail: Bool = false
    ) {
        precondition(!schemes.isEmpty, "a security requirement names at least one scheme")
        self.schemes = schemes
        self.scopes = scopes
        self.activeUser = activeUser
        self.roles = roles
        self.permissions = permissions
        self.secondFactor = secondFactor
        self.verifiedEmail = verifiedEmail
    }

    /// Judges an identity in tutorial005's order: scopes (401), active user (400), then
    /// roles and permissions (403), then the second factor (403).
    public func check(_ identity: Identity) throws(HTTPError) {
        for scope in scopes where !identity.scopes.contains(scope) { throw notEnoughScopes }
        if activeUser && identity.user.disabled { throw SecurityRequirement.inactiveUser }
        for role in roles where !identity.user.roles.contains(role) { throw SecurityRequirement.forbidden }
        for permission in permissions where !identity.permissions.contains(permission) { throw SecurityRequirement.forbidden }
        if secondFactor && !identity.secondFactor { throw SecurityRequirement.secondFactorRequired }
        if verifiedEmail && !identity.user.emailVerified { throw SecurityRequirement.unverifiedEmail }
    }

    /// tutorial005's `authenticate_value`.
    public var challenge: String {
        scopes.isEmpty ? "Bearer" : "Bearer scope=\"\(scopes.joined(separator: " "))\""
    }

    public var couldNotValidate: HTTPError {
        HTTPError(401, "Could not validate credentials", headers: Headers([("www-authenticate", challenge)]))
    }

    var notEnoughScopes: HTTPError {
        HTTPError(401, "Not enough permissions", headers: Headers([("www-authenticate", challenge)]))
    }

    public static let forbidden = HTTPError(403, "Not enough permissions")
    public static let inactiveUser = HTTPError(400, "Inactive user")
    public static let secondFactorRequired = HTTPError(403, "Two-factor sign-in required")
    public static let unverifiedEmail = HTTPError(403, "Email not verified")
}

/// The user a credential proved, and what that credential grants.
public struct Identity: Sendable {
    public let user: User
    /// OAuth2 scopes: the token's (or key's) scopes that the user still holds.
    public let scopes: [String]
    public let permissions: [String]
    public let kind: CredentialKind
    /// The session a token belongs to; nil for a key or a password.
    public var sessionID: String? = nil
    /// The session began with a password and a one-time (or recovery) code.
    public var secondFactor = false
}
