/// `GET/POST {prefix}/login`: the sign-in page for browsers. It checks the password in the
/// login pool (nginx sends POST /login there too) under the same throttle as `/token`,
/// starts a session, sets its cookie and sends the browser back to `rd` (303); a failed
/// sign-in shows the page again with the error (401, or 429 when throttled). For an account
/// with two-factor sign-in on, the right password leads to a second page that asks for the
/// code (`POST /login/code`), carrying a pending sign-in: single use, short-lived, bound to the
/// account, its credential version and the client's address, and dropped after a few wrong codes.
enum SignInRoutes {
    static let pendingFailureLimit = 5

    static func page(_ context: inout Context) throws -> Output {
        let rd = ReturnAddress.validated(returnAddress(context.request), allowedHosts: context.app.config.allowedRedirectHosts)
        return page(context, rd: rd, error: nil, status: 200)
    }

    static func signIn(_ context: inout Context) throws -> Output {
        let app = context.app
        let request = context.request
        // Login CSRF: a page elsewhere must not sign the browser in to an account of its choosing.
        if request.headers["origin"] != nil && !SameSite.isSameOrigin(request) { throw SessionCookieVerifier.crossSite }
        let form = try context.body(SignInForm.self)
        let rd = ReturnAddress.validated(form.rd, allowedHosts: app.config.allowedRedirectHosts)
        let user: User
        do {
            user = try TokenRoute.passwordUser(form.username, form.password, request: request, app: app) { !$0.disabled }
        } catch let error as HTTPError where error.status == 400 || error.status == 429 {
            let message = error.status == 429 ? "Too many failed sign-ins; try again later." : "Incorrect username or password."
            var output = page(context, rd: rd, error: message, status: error.status == 429 ? 429 : 401)
            if let retry = error.headers["retry-after"] { output.headers.add("retry-after", retry) }
            return output
        }
        if user.totpEnabled { return try askForCode(context, user: user, rd: rd) }
        return try signedIn(context, user: user, rd: rd, secondFactor: false)
    }

    /// The second step: the pending sign-in's code. Anything wrong with the pending sign-in
    /// itself sends the browser back to the password.
    static func signInCode(_ context: inout Context) throws -> Output {
        let app = context.app
        let request = context.request
        if request.headers["origin"] != nil && !SameSite.isSameOrigin(request) { throw SessionCookieVerifier.crossSite }
        let form = try context.body(SignInCodeForm.self)
        let rd = ReturnAddress.validated(form.rd, allowedHosts: app.config.allowedRedirectHosts)
        let handle = PendingHandle.hash(form.pending)
        let now = app.now()
        guard let pending = try app.store.pendingSignIn(hash: handle), pending.expiresAt > now,
              pending.clientAddress == app.clientAddress.of(request),
              let user = try app.store.user(id: pending.userID), !user.disabled, user.totpEnabled,
              user.credentialVersion == pending.credentialVersion
        else { return page(context, rd: rd, error: expired, status: 401) }
        do {
            _ = try SecondFactor.require(form.otp, of: user, request: request, app: app)
        } catch let error as HTTPError where error.status == 401 || error.status == 429 {
            if error.status == 401 { try app.store.failPendingSignIn(hash: handle, limit: pendingFailureLimit) }
            guard try app.store.pendingSignIn(hash: handle) != nil else {
                return page(context, rd: rd, error: "Too many wrong codes; sign in again.", status: 401)
            }
            let message = error.status == 429 ? "Too many failed sign-ins; try again later." : "Incorrect code."
            var output = codePage(context, pending: form.pending, rd: rd, error: message, status: error.status)
            if let retry = error.headers["retry-after"] { output.headers.add("retry-after", retry) }
            return output
        }
        guard try app.store.spendPendingSignIn(hash: handle) else { return page(context, rd: rd, error: expired, status: 401) }
        return try signedIn(context, user: user, rd: rd, secondFactor: true)
    }

    static let expired = "Your sign-in has expired; sign in again."

    static func askForCode(_ context: Context, user: User, rd: String) throws -> Output {
        let app = context.app
        let handle = PendingHandle.generate()
        let now = app.now()
        try app.store.createPendingSignIn(
            hash: PendingHandle.hash(handle),
            PendingSignIn(userID: user.id, credentialVersion: user.credentialVersion, clientAddress: app.clientAddress.of(context.request),
                          expiresAt: now + Int64(app.config.pendingSignInSeconds), failures: 0),
            now: now)
        return codePage(context, pending: handle, rd: rd, error: nil, status: 200)
    }

    static func signedIn(_ context: Context, user: User, rd: String, secondFactor: Bool) throws -> Output {
        let app = context.app
        let request = context.request
        let now = app.now()
        let session = try TokenRoute.startSession(
            user: user, scopes: try TokenRoute.holdable(by: user, app: app), request: request, app: app, now: now,
            secondFactor: secondFactor)
        app.audit(.loginSucceeded, request, user: user, detail: secondFactor ? "sign-in page with one-time code" : "sign-in page")
        return Output(headers: Headers([
            ("location", rd),
            ("set-cookie", SessionCookieScheme.header(session, secure: request.scheme == "https", maxAge: app.config.sessionLifetime)),
        ]))
    }

    /// The browser's half of logout: the session ends, the cookie goes, the sign-in page follows.
    static func signedOut(_ request: Request) -> Output {
        Output(headers: Headers([
            ("location", request.scriptName + "/login"),
            ("set-cookie", SessionCookieScheme.header(nil, secure: request.scheme == "https", maxAge: 0)),
        ]), status: 303)
    }

    /// `rd` as nginx's redirect writes it: `?rd=` followed by the original URI as it was,
    /// query included (nginx cannot escape it), so everything after `rd=` is the address.
    static func returnAddress(_ request: Request) -> String {
        guard request.rawQuery.hasPrefix("rd=") else { return request.query.first("rd") ?? ReturnAddress.fallback }
        return String(request.rawQuery.dropFirst(3))
    }

    static func page(_ context: Context, rd: String, error: String?, status: Int) -> Output {
        render(SignInPage.passwordForm, context, action: "/login", fields: [("rd", rd)], error: error, status: status)
    }

    static func codePage(_ context: Context, pending: String, rd: String, error: String?, status: Int) -> Output {
        render(SignInPage.codeForm, context, action: "/login/code", fields: [("pending", pending), ("rd", rd)], error: error,
               status: status)
    }

    private static func render(_ form: String, _ context: Context, action: String, fields: [(String, String)], error: String?,
                               status: Int) -> Output {
        let alert = error.map { "<p class=\"error\" role=\"alert\">\(HTML.escaped($0))</p>" } ?? ""
        var text = SignInPage.template.replacing("{{form}}", with: form)
            .replacing("{{action}}", with: HTML.escaped(context.request.scriptName + action))
        for (name, value) in fields { text = text.replacing("{{\(name)}}", with: HTML.escaped(value)) }
        // Last: the message is the only text here that is not the page's own.
        text = text.replacing("{{error}}", with: alert)
        return .html(text, status: status, headers: SignInPage.headers)
    }
}

/// The handle of a pending sign-in, as the code page carries it: 32 random bytes; only its
/// SHA-256 is stored.
enum PendingHandle {
    static func generate() -> String { Base64.urlEncode(LibCrypto.randomBytes(32)) }
    static func hash(_ handle: String) -> [UInt8] { LibCrypto.digest(.sha256, Array(handle.utf8)) }
}

struct SignInCodeForm: RequestBody {
    static let model = Model("Body_sign_in_code_login_code_post", [
        .init("pending", .string(minLength: 1, maxLength: 64)),
        .init("otp", .string(minLength: 1, maxLength: 64)),
        .init("rd", .string(), default: "/"),
    ])

    let pending: String
    let otp: String
    let rd: String

    init(_ fields: Validated) {
        pending = fields.string("pending") ?? ""
        otp = fields.string("otp") ?? ""
        rd = fields.string("rd") ?? ReturnAddress.fallback
    }
}

struct SignInForm: RequestBody {
    static let model = Model("Body_sign_in_login_post", [
        .init("username", .string(minLength: 1)),
        .init("password", .string(minLength: 1), format: "password"),
        .init("rd", .string(), default: "/"),
    ])

    let username: String
    let password: String
    let rd: String

    init(_ fields: Validated) {
        username = fields.string("username") ?? ""
        password = fields.string("password") ?? ""
        rd = fields.string("rd") ?? ReturnAddress.fallback
    }
}

enum HTML {
    static func escaped(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}

enum SignInPage {
    /// Never cached, never framed, no script, and the form posts nowhere but here.
    static let headers = Headers([
        ("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
        ("x-frame-options", "DENY"), ("referrer-policy", "same-origin"),
    ])

    static let template = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Sign in</title>
        <style>
        body { font: 16px/1.5 system-ui, sans-serif; background: #f4f5f7; color: #1c1e21; margin: 0; }
        main { max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: 8px;
               box-shadow: 0 1px 4px rgba(0,0,0,.15); }
        h1 { font-size: 1.4rem; margin: 0 0 1rem; }
        label { display: block; margin: 1rem 0 .25rem; font-weight: 600; }
        input { width: 100%; box-sizing: border-box; padding: .55rem; font: inherit; border: 1px solid #8a8d91; border-radius: 4px; }
        input:focus, button:focus { outline: 3px solid #1a73e8; outline-offset: 1px; }
        button { margin-top: 1.5rem; width: 100%; padding: .65rem; font: inherit; font-weight: 600; color: #fff;
                 background: #1a56db; border: 0; border-radius: 4px; cursor: pointer; }
        .error { color: #b00020; background: #fde8ea; padding: .5rem .75rem; border-radius: 4px; }
        </style>
        </head>
        <body>
        <main>
        <h1>Sign in</h1>
        {{error}}
        {{form}}
        </main>
        </body>
        </html>

        """

    static let passwordForm = """
        <form method="post" action="{{action}}">
        <input type="hidden" name="rd" value="{{rd}}">
        <label for="username">Username</label>
        <input id="username" name="username" autocomplete="username" autocapitalize="none" required autofocus>
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required>
        <button type="submit">Sign in</button>
        </form>
        """

    static let codeForm = """
        <form method="post" action="{{action}}">
        <input type="hidden" name="rd" value="{{rd}}">
        <input type="hidden" name="pending" value="{{pending}}">
        <label for="otp">One-time code from your authenticator app, or a recovery code</label>
        <input id="otp" name="otp" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required autofocus>
        <button type="submit">Continue</button>
        </form>
        """
}
