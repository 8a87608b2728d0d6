/// Email verification, as fastapi-users' verify router: `POST /verify/request` always
/// answers 202 (an unknown address, or one verified already, looks the same) and mails a
/// link when there is something to verify; `POST /verify` spends the token. A token proves
/// one address of one account: it dies when the account's email changes.
enum VerificationRoutes {
    static let badToken = HTTPError(400, "VERIFY_USER_BAD_TOKEN")
    static let alreadyVerified = HTTPError(400, "VERIFY_USER_ALREADY_VERIFIED")

    static func request(_ context: inout Context) throws -> Output {
        let app = context.app
        let body = try context.body(AccountLookup.self)
        try checkEmail(body.email)
        guard body.email != nil || body.username != nil else { throw HTTPError.validation([.missing("body", "email")]) }
        try app.countAccountRequest(context.request)
        let now = app.now()
        let user = try AccountLookup.find(body, app: app)
        if let user, !user.disabled, !user.emailVerified, user.email != nil {
            try mailVerification(to: user, app: app, now: now)
        } else {
            try decoy(.verify, app: app, now: now)
        }
        return Output(.null, status: 202)
    }

    /// Queues a verification of the user's current address.
    static func mailVerification(to user: User, app: App, now: Int64) throws {
        guard let email = user.email else { return }
        try app.accountIssuer.issue(
            .verify, userID: user.id, email: email, lifetime: Int64(app.config.verifyTokenMinutes) * 60,
            mailTo: AccountIssuer.Recipient(address: email, username: user.username, fullName: user.fullName ?? ""), now: now)
    }

    /// What a request about nobody writes: the same two rows as a real one, both dead.
    static func decoy(_ purpose: AccountTokenPurpose, app: App, now: Int64) throws {
        try app.accountIssuer.issue(purpose, userID: nil, email: nil, lifetime: 0,
                                    mailTo: AccountIssuer.Recipient(address: ""), decoy: true, now: now)
    }

    static func verify(_ context: inout Context) throws -> Output {
        let app = context.app
        let body = try context.body(TokenBody.self)
        let now = app.now()
        let hash = AccountToken.hash(body.token)
        // A wrong token counts against the address like a wrong password.
        let user = try app.throttled(context.request, username: nil, scheme: "verify") { () throws -> User in
            guard AccountToken.isWellFormed(body.token, .verify), let record = try app.store.accountToken(hash: hash),
                  record.purpose == .verify, record.spentAt == nil, record.expiresAt > now, let userID = record.userID,
                  let user = try app.store.user(id: userID), !user.disabled,
                  let email = user.email, email.lowercased() == record.email?.lowercased()
            else { throw badToken }
            return user
        }
        if user.emailVerified { throw alreadyVerified }
        try app.store.transaction {
            guard try app.store.spendAccountToken(hash: hash, now: now) else { throw badToken }
            try app.store.markEmailVerified(userID: user.id, now: now)
        }
        app.audit(.emailVerified, context.request, user: user)
        return Output(UserRoutes.json(try app.store.user(id: user.id) ?? user))
    }
}

extension AccountLookup {
    /// The account an email (compared without case) or a username names; nil when none, or
    /// when an email is shared by several (an operator's doing: nobody can tell which).
    static func find(_ body: AccountLookup, app: App) throws -> User? {
        if let email = body.email {
            let users = try app.store.users(withEmail: email)
            return users.count == 1 ? users[0] : nil
        }
        return try body.username.flatMap { try app.store.user(named: $0) }
    }
}
