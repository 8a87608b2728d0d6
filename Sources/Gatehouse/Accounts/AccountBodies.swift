/// The bodies of the self-service routes, in fastapi-users' shapes where it has one.

extension Models {
    static let username = Model.FieldType.string(pattern: "^[A-Za-z0-9._@+-]+$", minLength: 1, maxLength: 64)
    static let email = Model.FieldType.string(minLength: 3, maxLength: EmailAddress.maxLength)
    static let newPassword = Model.FieldType.string(minLength: 1, maxLength: PasswordPolicy.maxBytes)
    static let accountToken = Model.FieldType.string(minLength: 1, maxLength: 128)

    static let invite = Model("Invite", [
        .init("code", .string()), .init("email", .optional(.string())), .init("expires_at", .dateTime),
    ])
}

/// pydantic's EmailStr refusal, for an address outside `EmailAddress`'s rule.
func checkEmail(_ email: String?, field: String = "email") throws(HTTPError) {
    guard let email, !EmailAddress.isValid(email) else { return }
    throw HTTPError.validation([ValidationIssue(
        type: "value_error", loc: ["body", .string(field)],
        msg: "value is not a valid email address: use ASCII letters, digits and .!#$%&'*+/=?^_`{|}~- before one @ and a domain name",
        input: .string(email))])
}

/// fastapi-users' `UserCreate`, with the username Gatehouse signs in with and an invite code.
struct UserCreate: RequestBody {
    static let model = Model("UserCreate", [
        .init("username", Models.username),
        .init("email", Models.email, format: "email"),
        .init("password", Models.newPassword, format: "password"),
        .init("full_name", .optional(Models.printableText(maxLength: 200)), default: .null),
        .init("invite", .optional(Models.accountToken), default: .null),
    ])

    let username: String
    let email: String
    let password: String
    let fullName: String?
    let invite: String?

    init(_ fields: Validated) {
        username = fields.string("username") ?? ""
        email = fields.string("email") ?? ""
        password = fields.string("password") ?? ""
        fullName = fields.string("full_name")
        invite = fields.string("invite")
    }
}

/// `{"email": …}` (or `{"username": …}`): fastapi-users' ForgotPassword and verify request.
struct AccountLookup: RequestBody {
    static let model = Model("AccountLookup", [
        .init("email", .optional(Models.email), default: .null, format: "email"),
        .init("username", .optional(Models.username), default: .null),
    ])

    let email: String?
    let username: String?

    init(_ fields: Validated) {
        email = fields.string("email")
        username = fields.string("username")
    }
}

/// fastapi-users' VerifyToken.
struct TokenBody: RequestBody {
    static let model = Model("VerifyToken", [.init("token", Models.accountToken)])
    let token: String
    init(_ fields: Validated) { token = fields.string("token") ?? "" }
}

/// fastapi-users' ResetPassword.
struct ResetPassword: RequestBody {
    static let model = Model("ResetPassword", [
        .init("token", Models.accountToken), .init("password", Models.newPassword, format: "password"),
    ])
    let token: String
    let password: String

    init(_ fields: Validated) {
        token = fields.string("token") ?? ""
        password = fields.string("password") ?? ""
    }
}

/// `PATCH /users/me/`: a field left out is unchanged; `full_name` may be set to null.
struct ProfileUpdate: RequestBody {
    static let model = Model("ProfileUpdate", [
        .init("current_password", .optional(.string(minLength: 1, maxLength: PasswordPolicy.maxBytes)), default: .null),
        .init("password", .optional(Models.newPassword), default: .null),
        .init("email", .optional(Models.email), default: .null, format: "email"),
        .init("full_name", .optional(Models.printableText(maxLength: 200)), default: .null),
    ])

    let currentPassword: String?
    let password: String?
    let email: String?
    let fullName: String??

    init(_ fields: Validated) {
        currentPassword = fields.string("current_password")
        password = fields.string("password")
        email = fields.string("email")
        fullName = fields.present.contains("full_name") ? .some(fields.string("full_name")) : nil
    }
}

struct InviteCreate: RequestBody {
    static let model = Model("InviteCreate", [.init("email", .optional(Models.email), default: .null, format: "email")])
    let email: String?
    init(_ fields: Validated) { email = fields.string("email") }
}
