/// The request bodies of the API, each with the model that validates it.

/// `OAuth2PasswordRequestForm`, under the name FastAPI gives its body schema, and `otp`: the
/// one-time code (or a recovery code) of an account with two-factor sign-in on.
struct LoginForm: RequestBody {
    static let model = Model("Body_login_for_access_token_token_post", [
        .init("grant_type", .optional(.string(pattern: "^password$")), default: .null),
        .init("username", .string()),
        .init("password", .string(), format: "password"),
        .init("scope", .string(), default: ""),
        .init("client_id", .optional(.string()), default: .null),
        .init("client_secret", .optional(.string()), default: .null, format: "password"),
        .init("otp", .optional(.string(maxLength: 64)), default: .null),
    ])

    let username: String
    let password: String
    let otp: String?
    /// The scopes asked for, in order, without repeats.
    let scopes: [String]

    init(_ fields: Validated) {
        username = fields.string("username") ?? ""
        password = fields.string("password") ?? ""
        otp = fields.string("otp")
        scopes = Store.unique((fields.string("scope") ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
    }
}

/// RFC 7662 §2.1's request.
struct IntrospectionForm: RequestBody {
    static let model = Model("Body_introspect_token_token_introspect_post", [
        .init("token", .string()),
        .init("token_type_hint", .optional(.string()), default: .null),
    ])

    let token: String

    init(_ fields: Validated) { token = fields.string("token") ?? "" }
}

struct APIKeyCreate: RequestBody {
    static let model = Model("APIKeyCreate", [
        .init("name", .string(minLength: 1, maxLength: 100)),
        .init("scopes", .array(Models.scopeToken), default: []),
        .init("expires_in_days", .optional(.int(minimum: 1, maximum: 3650)), default: .null),
    ])

    let name: String
    let scopes: [String]
    let expiresInDays: Int?

    init(_ fields: Validated) {
        name = fields.string("name") ?? ""
        scopes = Store.unique(fields.strings("scopes") ?? [])
        expiresInDays = fields.int("expires_in_days")
    }
}

/// What changing two-factor sign-in asks for once it is on: a code (one-time or recovery) or the password.
struct TOTPProof: RequestBody {
    static let model = Model("TOTPProof", [
        .init("code", .optional(.string(minLength: 1, maxLength: 64)), default: .null),
        .init("password", .optional(.string(minLength: 1, maxLength: 1024)), default: .null, format: "password"),
    ])

    let code: String?
    let password: String?

    init(_ fields: Validated) {
        code = fields.string("code")
        password = fields.string("password")
    }
}

/// The first code of a new TOTP secret.
struct TOTPConfirmation: RequestBody {
    static let model = Model("TOTPConfirmation", [.init("code", .string(pattern: "^[0-9]{6}$"))])

    let code: String

    init(_ fields: Validated) { code = fields.string("code") ?? "" }
}

/// PATCH semantics: a field left out is nil; `email` and `full_name` may also be set to null.
struct UserUpdate: RequestBody {
    static let model = Model("UserUpdate", [
        .init("email", .optional(Models.printableText(maxLength: 320)), default: .null),
        .init("full_name", .optional(Models.printableText(maxLength: 200)), default: .null),
        .init("disabled", .optional(.bool), default: .null),
        .init("scopes", .optional(.array(Models.scopeToken)), default: .null),
        .init("roles", .optional(.array(Models.roleName)), default: .null),
        .init("password", .optional(.string(minLength: 1, maxLength: 1024)), default: .null),
    ])

    let email: String??
    let fullName: String??
    let disabled: Bool?
    let scopes: [String]?
    let roles: [String]?
    let password: String?

    init(_ fields: Validated) {
        email = fields.present.contains("email") ? .some(fields.string("email")) : nil
        fullName = fields.present.contains("full_name") ? .some(fields.string("full_name")) : nil
        disabled = fields.bool("disabled")
        scopes = fields.strings("scopes").map(Store.unique)
        roles = fields.strings("roles").map(Store.unique)
        password = fields.string("password")
    }
}
