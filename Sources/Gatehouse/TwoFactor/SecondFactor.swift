/// The second factor of an account with TOTP on: a six-digit code of its secret, each time
/// step taken once, ±1 step of clock skew; or one of its recovery codes, each taken once.
/// Wrong ones are throttled and audited like wrong passwords.
enum SecondFactor {
    /// RFC 9470's error: the credentials are right, but the authentication is not enough.
    static let challenge = Headers([("www-authenticate", #"Bearer error="insufficient_user_authentication""#)])
    static let codeRequired = HTTPError(401, "One-time code required", headers: challenge)
    static let codeIncorrect = HTTPError(401, "Incorrect one-time code", headers: challenge)
    static let proofRequired = HTTPError(400, "A one-time code or the password is required")
    static let proofIncorrect = HTTPError(400, "Incorrect one-time code or password")

    /// Whether the login of `user` gave a second factor: false when TOTP is off; 401 when it
    /// is on and `typed` is missing or wrong (a wrong one counts as a failed login).
    static func require(_ typed: String?, of user: User, request: Request, app: App) throws -> Bool {
        guard user.totpEnabled else { return false }
        guard let typed, !typed.isEmpty else { throw codeRequired }
        try app.throttled(request, username: user.username, scheme: "otp") {
            guard try accepts(typed, of: user, request: request, app: app) else { throw codeIncorrect }
        }
        return true
    }

    /// For changing two-factor sign-in itself: a current code, a recovery code, or the password.
    static func confirm(code: String?, password: String?, of user: User, request: Request, app: App) throws {
        guard code != nil || password != nil else { throw proofRequired }
        try app.throttled(request, username: user.username, scheme: "otp") {
            if let code, try accepts(code, of: user, request: request, app: app) { return }
            if let password, try app.verifyPassword(password, hash: user.passwordHash) { return }
            throw proofIncorrect
        }
    }

    /// Takes `typed` if it is a code of the account's current step (±1) not taken yet, or
    /// one of its unused recovery codes; either is spent by taking it.
    static func accepts(_ typed: String, of user: User, request: Request, app: App) throws -> Bool {
        let now = app.now()
        if OneTimePassword.isCodeShaped(typed) {
            guard let record = try app.store.totp(userID: user.id), let sealed = record.secret,
                  let secret = app.twoFactorKey.open(sealed, userID: user.id),
                  let step = OneTimePassword.matchingStep(typed, secret: secret, now: now, after: record.lastStep)
            else { return false }
            return try app.store.acceptTOTPStep(userID: user.id, step: step)
        }
        guard let canonical = RecoveryCode.canonical(typed),
              try app.store.spendRecoveryCode(userID: user.id, hash: app.twoFactorKey.recoveryHash(canonical), now: now)
        else { return false }
        let left = try app.store.unusedRecoveryCodes(userID: user.id)
        app.audit(.recoveryCodeUsed, request, user: user, detail: "\(left) left")
        return true
    }
}
