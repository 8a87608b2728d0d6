import Foundation

/// The bodies and responses of the API, declared as FastAPI's tutorial declares them.
enum Models {
    /// `OAuth2PasswordRequestForm`, under the name FastAPI gives its body schema.
    static let loginForm = Model("Body_login_for_access_token_token_post", [
        .init("grant_type", .optional(.string(pattern: "^password$")), default: .null),
        .init("username", .string()),
        .init("password", .string(), format: "password"),
        .init("scope", .string(), default: ""),
        .init("client_id", .optional(.string()), default: .null),
        .init("client_secret", .optional(.string()), default: .null, format: "password"),
    ])

    static let token = Model("Token", [.init("access_token", .string()), .init("token_type", .string())])

    static let user = Model("User", [
        .init("username", .string()),
        .init("email", .optional(.string()), default: .null),
        .init("full_name", .optional(.string()), default: .null),
        .init("disabled", .optional(.bool), default: .null),
    ])

    static let item = Model("Item", [.init("item_id", .string()), .init("owner", .string())])

    static let apiKeyCreate = Model("APIKeyCreate", [
        .init("name", .string(minLength: 1, maxLength: 100)),
        .init("scopes", .array(.string()), default: []),
        .init("expires_in_days", .optional(.int(minimum: 1, maximum: 3650)), default: .null),
    ])

    static let apiKey = Model("APIKey", apiKeyFields)
    static let apiKeyCreated = Model("APIKeyCreated", apiKeyFields + [.init("key", .string())])
    static let apiKeyFields: [Model.Field] = [
        .init("id", .string()),
        .init("name", .string()),
        .init("scopes", .array(.string())),
        .init("created_at", .dateTime),
        .init("expires_at", .optional(.dateTime)),
        .init("last_used_at", .optional(.dateTime)),
        .init("revoked_at", .optional(.dateTime)),
    ]

    static let userRead = Model("UserRead", [
        .init("id", .int()),
        .init("username", .string()),
        .init("email", .optional(.string())),
        .init("full_name", .optional(.string())),
        .init("disabled", .bool),
        .init("scopes", .array(.string())),
        .init("roles", .array(.string())),
        .init("created_at", .dateTime),
        .init("updated_at", .dateTime),
    ])

    static let userUpdate = Model("UserUpdate", [
        .init("email", .optional(.string(maxLength: 320)), default: .null),
        .init("full_name", .optional(.string(maxLength: 200)), default: .null),
        .init("disabled", .optional(.bool), default: .null),
        .init("scopes", .optional(.array(.string())), default: .null),
        .init("roles", .optional(.array(.string())), default: .null),
        .init("password", .optional(.string(minLength: 1, maxLength: 1024)), default: .null),
    ])
}

enum ISOTime {
    /// pydantic's rendering of an aware UTC datetime: `2026-11-23T11:00:00Z`.
    static func string(_ t: Int64) -> String {
        var time = time_t(t)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ n: Int32, _ w: Int = 2) -> String { String(n).leftPadded(to: w) }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T"
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec))Z"
    }

    static func json(_ t: Int64?) -> JSON { t.map { .string(string($0)) } ?? .null }
}
