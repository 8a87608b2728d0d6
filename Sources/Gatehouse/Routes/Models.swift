import Foundation

/// The bodies and responses of the API, declared as FastAPI's tutorial declares them.
enum Models {
    static let token = Model("Token", [
        .init("access_token", .string()), .init("token_type", .string()),
        .init("refresh_token", .optional(.string()), default: .null),
        .init("expires_in", .optional(.int()), default: .null),
    ])
    /// FastAPI's `{"detail": …}` for HTTPException, as the errors a route declares.
    static let httpError = Model("HTTPError", [.init("detail", .string())])

    static let user = Model("User", [
        .init("username", .string()),
        .init("email", .optional(.string()), default: .null),
        .init("full_name", .optional(.string()), default: .null),
        .init("disabled", .optional(.bool), default: .null),
    ])

    static let item = Model("Item", [.init("item_id", .string()), .init("owner", .string())])

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

    static let session = Model("Session", [
        .init("id", .string()),
        .init("created_at", .dateTime),
        .init("last_seen_at", .dateTime),
        .init("expires_at", .dateTime),
        .init("client_address", .string()),
        .init("user_agent", .string()),
        .init("scopes", .array(.string())),
        .init("current", .bool),
    ])

    static let totpStatus = Model("TOTPStatus", [
        .init("enabled", .bool),
        .init("enabled_at", .optional(.dateTime)),
        .init("enrolment_pending", .bool),
        .init("recovery_codes_left", .int()),
    ])
    static let totpEnrolment = Model("TOTPEnrolment", [
        .init("secret", .string()),
        .init("otpauth_uri", .string()),
        .init("qr_svg", .optional(.string())),
    ])
    static let recoveryCodes = Model("RecoveryCodes", [.init("recovery_codes", .array(.string()))])

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

    /// RFC 6749 §3.3's scope-token, as the store keeps scopes and permissions.
    static let scopeToken = Model.FieldType.string(pattern: "^[!#-\\[\\]-~]+$", maxLength: 128)
    static let roleName = Model.FieldType.string(pattern: "^[A-Za-z0-9._@+:-]+$", maxLength: 64)
    /// Free text that is shown and logged: no control characters.
    static func printableText(maxLength: Int) -> Model.FieldType {
        .string(pattern: "^[^\\x00-\\x1f\\x7f]*$", maxLength: maxLength)
    }
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
