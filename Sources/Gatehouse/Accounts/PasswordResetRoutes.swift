/// fastapi-users' reset router. `POST /forgot-password` answers 202 whether or not the
/// account exists and does the same work either way (a lookup, a token, two rows; for
/// nobody both rows are dead), so neither the answer nor its cost tells. `POST
/// /reset-password` spends the token: it replaces only the password it was issued for,
/// ends every session and token of the account, and is audited.
enum PasswordResetRoutes {
    static let badToken = HTTPError(400, "RESET_PASSWORD_BAD_TOKEN")

    static func forgot(_ context: inout Context) throws -> Output {
        let app = context.app
        let body = try context.body(AccountLookup.self)
        try checkEmail(body.email)
        guard body.email != nil || body.username != nil else { throw HTTPError.validation([.missing("body", "email")]) }
        try app.countAccountRequest(context.request)
        let now = app.now()
        if let user = try AccountLookup.find(body, app: app), !user.disabled, let email = user.email {
            try app.accountIssuer.issue(
                .reset, userID: user.id, email: email, passwordChangedAt: user.passwordChangedAt,
                lifetime: Int64(app.config.resetTokenMinutes) * 60,
                mailTo: AccountIssuer.Recipient(address: email, username: user.username, fullName: user.fullName ?? ""), now: now)
            app.audit(.passwordResetRequested, context.request, user: user)
        } else {
            try VerificationRoutes.decoy(.reset, app: app, now: now)
            app.audit(.passwordResetRequested, context.request, user: nil, outcome: "no such account")
        }
        return Output(.null, status: 202)
    }

    static func reset(_ context: inout Context) throws -> Output {
        let app = context.app
        let body = try context.body(ResetPassword.self)
        let now = app.now()
        let hash = AccountToken.hash(body.token)
        // A wrong token counts against the address like a wrong password.
        let user = try app.throttled(context.request, username: nil, scheme: "reset") { () throws -> User in
            guard AccountToken.isWellFormed(body.token, .reset), let record = try app.store.accountToken(hash: hash),
                  record.purpose == .reset, record.spentAt == nil, record.expiresAt > now, let userID = record.userID,
                  let user = try app.store.user(id: userID), !user.disabled, record.passwordChangedAt == user.passwordChangedAt
            else { throw badToken }
            return user
        }
        try PasswordRules.check(body.password, code: "RESET_PASSWORD_INVALID_PASSWORD", app: app)
        let newHash = try app.hashNewPassword(body.password)
        try app.store.transaction {
            guard try app.store.spendAccountToken(hash: hash, now: now) else { throw badToken }
            try app.store.setPasswordHash(userID: user.id, hash: newHash, now: now)
        }
        app.audit(.passwordChanged, context.request, user: user, detail: "reset")
        return Output(.null)
    }
}
