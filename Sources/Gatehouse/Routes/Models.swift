import FoundationEssentials
import Glibc

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

package enum ISOTime {
    /// pydantic's rendering of an aware UTC datetime: `2026-11-23T11:00:00Z`.
    package static func string(_ t: Int64) -> String {
        var time = time_t(t)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ n: Int32, _ w: Int = 2) -> String { String(n).leftPadded(to: w) }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T"
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec))Z"
    }

    /// `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM:SS` with `Z` or a `±HH:MM` offset; nil otherwise.
    package static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int32? {
            guard range.upperBound <= b.count, b[range].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return b[range].reduce(0) { $0 * 10 + Int32($1 - 0x30) }
        }
        func at(_ i: Int, _ c: Character) -> Bool { i < b.count && b[i] == c.asciiValue! }
        guard let year = number(0..<4), at(4, "-"), let month = number(5..<7), at(7, "-"), let day = number(8..<10),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        var offset: Int64 = 0
        if b.count > 10 {
            guard at(10, "T"), let hour = number(11..<13), at(13, ":"), let minute = number(14..<16), at(16, ":"),
                  let second = number(17..<19), hour < 24, minute < 60, second < 61, b.count > 19 else { return nil }
            parts.tm_hour = hour
            parts.tm_min = minute
            parts.tm_sec = second
            if b.count == 20, at(19, "Z") {
            } else if b.count == 25, at(19, "+") || at(19, "-"), let h = number(20..<22), at(22, ":"), let m = number(23..<25) {
                offset = (at(19, "+") ? 1 : -1) * Int64(h * 3600 + m * 60)
            } else {
                return nil
            }
        }
        let seconds = Int64(timegm(&parts))
        // timegm normalises 31 February into March: such a date is no date.
        guard parts.tm_mday == day, parts.tm_mon == month - 1 else { return nil }
        return seconds - offset
    }

    static func json(_ t: Int64?) -> JSON { t.map { .string(string($0)) } ?? .null }
}
