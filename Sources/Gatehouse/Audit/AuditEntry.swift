/// What the audit trail records. A name is `subject.verb`; add new ones here (refresh,
/// reuse detected, logout, session ended) and they list and filter like the rest.
package struct AuditEvent: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    package let rawValue: String
    package init(rawValue: String) { self.rawValue = rawValue }
    init(_ name: String) { rawValue = name }
    package var description: String { rawValue }

    package static let loginSucceeded = AuditEvent("login.ok")
    package static let loginFailed = AuditEvent("login.failed")
    /// Written once, when a ban begins, not for every refused request: a flood of them must not become a flood of writes.
    package static let loginThrottled = AuditEvent("login.throttled")
    package static let apiKeyCreated = AuditEvent("apikey.created")
    package static let apiKeyRevoked = AuditEvent("apikey.revoked")
    package static let userCreated = AuditEvent("user.created")
    package static let userUpdated = AuditEvent("user.updated")
    package static let userDisabled = AuditEvent("user.disabled")
    package static let userEnabled = AuditEvent("user.enabled")
    package static let userDeleted = AuditEvent("user.deleted")
    package static let userRegistered = AuditEvent("user.registered")
    package static let emailVerified = AuditEvent("email.verified")
    package static let passwordResetRequested = AuditEvent("password.reset_requested")
    package static let inviteCreated = AuditEvent("invite.created")
    package static let passwordChanged = AuditEvent("password.changed")
    package static let scopesChanged = AuditEvent("user.scopes_changed")
    package static let rolesChanged = AuditEvent("user.roles_changed")
    package static let roleCreated = AuditEvent("role.created")
    package static let roleDeleted = AuditEvent("role.deleted")
    package static let permissionsChanged = AuditEvent("role.permissions_changed")
    package static let refreshed = AuditEvent("token.refreshed")
    package static let refreshReuse = AuditEvent("token.reuse_detected")
    package static let logout = AuditEvent("session.logout")
    package static let sessionEnded = AuditEvent("session.ended")
    package static let totpEnrolmentStarted = AuditEvent("totp.enrolment_started")
    package static let totpEnabled = AuditEvent("totp.enabled")
    package static let totpDisabled = AuditEvent("totp.disabled")
    package static let recoveryCodeUsed = AuditEvent("totp.recovery_code_used")
}

/// One row of the trail. Never a password, token, key or hash: `detail` names what changed
/// (scopes, roles, a key's id), never a credential.
package struct AuditEntry: Sendable, Equatable {
    package var id: Int64 = 0
    package var time: Int64
    package var event: AuditEvent
    /// The account the event is about, when there is one (a failed login may name nobody).
    package var userID: Int64?
    package var username: String?
    /// Who acted: the caller's username over HTTP, `cli` for the command, empty for a login.
    package var actor: String
    package var address: String
    /// nginx's $request_id, to find the access log line.
    package var requestID: String
    /// `ok`, `failed` or `throttled`.
    package var outcome: String
    package var detail: String

    package init(time: Int64, event: AuditEvent, userID: Int64? = nil, username: String? = nil, actor: String = "",
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

    package var json: JSON {
        .object([
            ("time", .string(ISOTime.string(time))), ("event", .string(event.rawValue)),
            ("user_id", userID.map { .int(Int($0)) } ?? .null), ("username", .optional(username)),
            ("actor", .string(actor)), ("address", .string(address)), ("request_id", .string(requestID)),
            ("outcome", .string(outcome)), ("detail", .string(detail)),
        ])
    }
}
