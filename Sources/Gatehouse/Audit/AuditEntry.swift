/// What the audit trail records. A name is `subject.verb`; add new ones here (refresh,
/// reuse detected, logout, session ended) and they list and filter like the rest.
public struct AuditEvent: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    init(_ name: String) { rawValue = name }
    public var description: String { rawValue }

    public static let loginSucceeded = AuditEvent("login.ok")
    public static let loginFailed = AuditEvent("login.failed")
    /// Written once, when a ban begins, not for every refused request: a flood of them must not become a flood of writes.
    public static let loginThrottled = AuditEvent("login.throttled")
    public static let apiKeyCreated = AuditEvent("apikey.created")
    public static let apiKeyRevoked = AuditEvent("apikey.revoked")
    public static let userCreated = AuditEvent("user.created")
    public static let userUpdated = AuditEvent("user.updated")
    public static let userDisabled = AuditEvent("user.disabled")
    public static let userEnabled = AuditEvent("user.enabled")
    public static let userDeleted = AuditEvent("user.deleted")
    public static let passwordChanged = AuditEvent("password.changed")
    public static let scopesChanged = AuditEvent("user.scopes_changed")
    public static let rolesChanged = AuditEvent("user.roles_changed")
    public static let roleCreated = AuditEvent("role.created")
    public static let roleDeleted = AuditEvent("role.deleted")
    public static let permissionsChanged = AuditEvent("role.permissions_changed")
    public static let refreshed = AuditEvent("token.refreshed")
    public static let refreshReuse = AuditEvent("token.reuse_detected")
    public static let logout = AuditEvent("session.logout")
    public static let sessionEnded = AuditEvent("session.ended")
}

/// One row of the trail. Never a password, token, key or hash: `detail` names what changed
/// (scopes, roles, a key's id), never a credential.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64 = 0
    public var time: Int64
    public var event: AuditEvent
    /// The account the event is about, when there is one (a failed login may name nobody).
    public var userID: Int64?
    public var username: String?
    /// Who acted: the caller's username over HTTP, `cli` for the command, empty for a login.
    public var actor: String
    public var address: String
    /// nginx's $request_id, to find the access log line.
    public var requestID: String
    /// `ok`, `failed` or `throttled`.
    public var outcome: String
    public var detail: String

    public init(time: Int64, event: AuditEvent, userID: Int64? = nil, username: String? = nil, actor: String = "",
                address: String = "", requestID: String = "", outcome: String = "ok", detail: String = "") {
        self.time = time
        self.event = event
        self.userID = userID
        self.username = username
        self.actor = actor
        self.address = address
        self.requestID = requestID
        self.outcome = outcome
        self.detail = detail
    }

    public var json: JSON {
        .object([
            ("time", .string(ISOTime.string(time))), ("event", .string(event.rawValue)),
            ("user_id", userID.map { .int(Int($0)) } ?? .null), ("username", .optional(username)),
            ("actor", .string(actor)), ("address", .string(address)), ("request_id", .string(requestID)),
            ("outcome", .string(outcome)), ("detail", .string(detail)),
        ])
    }
}
