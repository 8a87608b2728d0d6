/// `PATCH /users/me/`: one's own full name, email and password. A new email or password
/// needs the current password (checked under the login throttle); a new email must be no
/// other account's, is unverified until proven (a link goes to it when mail is on); a new
/// password ends every other session and every token issued before.
enum ProfileRoutes {
    static let currentPasswordRequired = HTTPError(400, "UPDATE_USER_CURRENT_PASSWORD_REQUIRED")
    static let badCurrentPassword = HTTPError(400, "UPDATE_USER_BAD_CURRENT_PASSWORD")
    static let emailTaken = HTTPError(400, "UPDATE_USER_EMAIL_ALREADY_EXISTS")

    static func update(_ context: inout Context) throws -> Output {
        let app = context.app
        let identity = try context.requireIdentity()
        let body = try context.body(ProfileUpdate.self)
        try checkEmail(body.email)
        var user = identity.user
        let before = user
        let newEmail = body.email.flatMap { $0.lowercased() == user.email?.lowercased() ? nil : $0 }
        if newEmail != nil || body.password != nil {
            guard let current = body.currentPassword else { throw currentPasswordRequired }
            do {
                _ = try TokenRoute.passwordUser(user.username, current, request: context.request, app: app) { $0.id == user.id }
            } catch let error as HTTPError where error.status == 400 {
                throw badCurrentPassword
            }
        }
        if let password = body.password { try PasswordRules.check(password, code: "UPDATE_USER_INVALID_PASSWORD", app: app) }
        if let newEmail, try app.store.users(withEmail: newEmail).contains(where: { $0.id != user.id }) { throw emailTaken }
        let hash = try body.password.map(app.hashNewPassword)
        let now = app.now()
        try app.store.transaction {
            if let newEmail {
                guard try app.store.users(withEmail: newEmail).allSatisfy({ $0.id == user.id }) else { throw emailTaken }
                user.email = newEmail
            }
            if let fullName = body.fullName { user.fullName = fullName }
            user = try app.store.updateUser(user, now: now)
            if let hash { try app.store.setPasswordHash(userID: user.id, hash: hash, now: now, keepingSession: identity.sessionID) }
            if newEmail != nil { try app.store.spendAccountTokens(userID: user.id, purpose: .verify, now: now) }
        }
        app.auditChanges(context.request, from: before, actor: identity, passwordChanged: hash != nil)
        if newEmail != nil, app.config.sendsMail, let saved = try app.store.user(id: user.id) {
            try VerificationRoutes.mailVerification(to: saved, app: app, now: now)
        }
        return Output(UserRoutes.json(try app.store.user(id: user.id) ?? user))
    }
}
