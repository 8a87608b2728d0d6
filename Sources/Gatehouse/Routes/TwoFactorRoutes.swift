/// `/users/me/totp`: enrolment in two-factor sign-in, its confirmation, and turning it off.
/// Turning it on or off moves the account's credential version and ends its sessions: a
/// token from before no longer speaks for the account (the caller signs in again, with a code).
enum TwoFactorRoutes {
    static let notOn = HTTPError(400, "Two-factor sign-in is not on")
    static let nothingToConfirm = HTTPError(400, "No TOTP enrolment to confirm")
    static let codeIncorrect = HTTPError(400, "Incorrect one-time code")
    /// 160 bits, RFC 4226 §4's recommended length.
    static let secretLength = 20

    static func status(_ context: inout Context, _ identity: Identity) throws -> Output {
        let user = identity.user
        let record = try context.app.store.totp(userID: user.id)
        return Output(.object([
            ("enabled", .bool(user.totpEnabled)),
            ("enabled_at", ISOTime.json(user.totpEnabled ? record?.enabledAt : nil)),
            ("enrolment_pending", .bool(record?.pendingSecret != nil)),
            ("recovery_codes_left", .int(user.totpEnabled ? try context.app.store.unusedRecoveryCodes(userID: user.id) : 0)),
        ]))
    }

    /// A new secret, pending until a code of it is confirmed; while TOTP is on, only with a
    /// code or the password (a stolen token alone must not move the second factor elsewhere).
    static func enrol(_ context: inout Context, _ identity: Identity) throws -> Output {
        let app = context.app
        let user = identity.user
        let proof = try context.body(TOTPProof.self)
        if user.totpEnabled {
            try SecondFactor.confirm(code: proof.code, password: proof.password, of: user, request: context.request, app: app)
        }
        let secret = LibCrypto.randomBytes(secretLength)
        try app.store.beginTOTPEnrolment(userID: user.id, sealedSecret: app.twoFactorKey.seal(secret, userID: user.id), now: app.now())
        app.audit(.totpEnrolmentStarted, context.request, user: user, actor: identity)
        let uri = OneTimePassword.provisioningURI(secret: secret, account: user.username, issuer: app.config.totpIssuer)
        return Output(.object([
            ("secret", .string(Base32.encode(secret))), ("otpauth_uri", .string(uri)),
            ("qr_svg", QRCode.svg(uri).map(JSON.string) ?? .null),
        ]))
    }

    /// The pending secret's first code turns TOTP on and returns the recovery codes, once.
    static func confirm(_ context: inout Context, _ identity: Identity) throws -> Output {
        let app = context.app
        let user = identity.user
        let body = try context.body(TOTPConfirmation.self)
        guard let record = try app.store.totp(userID: user.id), let sealed = record.pendingSecret,
              let secret = app.twoFactorKey.open(sealed, userID: user.id)
        else { throw nothingToConfirm }
        let now = app.now()
        let step = try app.throttled(context.request, username: user.username, scheme: "otp") {
            guard let step = OneTimePassword.matchingStep(body.code, secret: secret, now: now, after: nil) else { throw codeIncorrect }
            return step
        }
        let codes = (0..<RecoveryCode.count).map { _ in RecoveryCode.generate() }
        let hashes = codes.map { app.twoFactorKey.recoveryHash(RecoveryCode.canonical($0) ?? $0) }
        guard try app.store.confirmTOTP(userID: user.id, pendingSecret: sealed, step: step, recoveryHashes: hashes, now: now) else {
            throw nothingToConfirm
        }
        app.audit(.totpEnabled, context.request, user: user, actor: identity)
        return Output(.object([("recovery_codes", .array(codes.map(JSON.string)))]))
    }

    static func disable(_ context: inout Context, _ identity: Identity) throws -> Output {
        let app = context.app
        let user = identity.user
        let proof = try context.body(TOTPProof.self)
        guard user.totpEnabled else { throw notOn }
        try SecondFactor.confirm(code: proof.code, password: proof.password, of: user, request: context.request, app: app)
        guard try app.store.disableTOTP(userID: user.id, now: app.now()) else { throw notOn }
        app.audit(.totpDisabled, context.request, user: user, actor: identity)
        return Output(status: 204)
    }
}
