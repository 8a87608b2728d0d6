/// `POST /register` (fastapi-users' register router) and `POST /invites`. A registered
/// account holds `registration_scopes` and nothing the request could ask for; its username
/// and email are new whatever their case (both are ASCII, so no Unicode form can pass for
/// another). Taken answers the same for a username and an email, and is all that is said.
enum RegistrationRoutes {
    static let alreadyExists = HTTPError(400, "REGISTER_USER_ALREADY_EXISTS")
    static let badInvite = HTTPError(400, "REGISTER_INVALID_INVITE")

    static func register(_ context: inout Context) throws -> Output {
        let app = context.app
        let body = try context.body(UserCreate.self)
        try checkEmail(body.email)
        try app.countAccountRequest(context.request)
        let now = app.now()
        let invite = try app.config.registration == .invite
            ? app.throttled(context.request, username: nil, scheme: "invite") {
                try usableInvite(body.invite, email: body.email, app: app, now: now)
            } : nil
        try PasswordRules.check(body.password, code: "REGISTER_INVALID_PASSWORD", app: app)
        // Refused before the hash is paid for; checked again inside the transaction.
        // A username that is another account's email would pass for that account where names are shown.
        let ownEmail = body.username.lowercased() == body.email.lowercased()
        guard try app.store.user(named: body.username) == nil, try app.store.users(withEmail: body.email).isEmpty,
              try ownEmail || app.store.users(withEmail: body.username).isEmpty
        else {
            throw alreadyExists
        }
        let hash = try app.hashNewPassword(body.password)
        let user: User = try app.store.transaction {
            if let invite, !(try app.store.spendAccountToken(hash: invite, now: now)) { throw badInvite }
            guard try app.store.users(withEmail: body.email).isEmpty else { throw alreadyExists }
            do {
                return try app.store.createUser(
                    username: body.username, email: body.email, fullName: body.fullName, passwordHash: hash,
                    scopes: app.config.registrationScopes, now: now)
            } catch StoreError.duplicate { throw alreadyExists }
        }
        app.audit(.userRegistered, context.request, user: user, detail: invite == nil ? "" : "invite")
        if app.config.requireVerifiedEmail { try VerificationRoutes.mailVerification(to: user, app: app, now: now) }
        return Output(AdminRoutes.json(user), status: 201)
    }

    /// The invite's hash, when the code is one that may still be used (for this address, if it names one).
    static func usableInvite(_ code: String?, email: String, app: App, now: Int64) throws -> [UInt8]? {
        guard let code, AccountToken.isWellFormed(code, .invite) else { throw badInvite }
        let hash = AccountToken.hash(code)
        guard let record = try app.store.accountToken(hash: hash), record.purpose == .invite, record.spentAt == nil,
              record.expiresAt > now, record.email.map({ $0.lowercased() == email.lowercased() }) ?? true
        else { throw badInvite }
        return hash
    }

    /// `POST /invites` (permission `users:invite`): a single-use code, mailed when it names an
    /// address and mail is on. It grants nothing but `registration_scopes`.
    static func createInvite(_ context: inout Context) throws -> Output {
        let app = context.app
        let caller = try context.requireIdentity()
        let body = try context.body(InviteCreate.self)
        try checkEmail(body.email)
        let now = app.now()
        let lifetime = Int64(app.config.inviteTokenDays) * 86400
        let code = try app.accountIssuer.issue(
            .invite, userID: nil, email: body.email, lifetime: lifetime, createdBy: caller.user.username,
            mailTo: app.config.sendsMail ? body.email.map { AccountIssuer.Recipient(address: $0) } : nil, now: now)
        app.audit(.inviteCreated, context.request, user: nil, actor: caller, detail: body.email == nil ? "" : "for an address")
        return Output(.object([("code", .string(code)), ("email", .optional(body.email)), ("expires_at", ISOTime.json(now + lifetime))]),
                      status: 201)
    }
}

/// The password policy for a password a user chooses, answered as fastapi-users does:
/// `400 {"detail": {"code": …, "reason": …}}`.
enum PasswordRules {
    static func check(_ password: String, code: String, app: App) throws(HTTPError) {
        do { try PasswordPolicy(minLength: app.config.passwordMinLength).check(password) } catch {
            throw HTTPError(status: 400, detail: .object([("code", .string(code)), ("reason", .string(error.description))]))
        }
    }
}
