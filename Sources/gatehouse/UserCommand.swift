import ArgumentParser
import Gatehouse

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage users: add, list, show, set-password, disable, enable, grant, revoke, roles, totp-off, verify-email, delete.",
        subcommands: [
            Add.self, List.self, Show.self, SetPassword.self, Disable.self, Enable.self, Grant.self, Revoke.self,
            GrantRole.self, RevokeRole.self, TOTPOff.self, VerifyEmail.self, Delete.self,
        ])

    struct VerifyEmail: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-email",
            abstract: "Mark a user's current email as verified (the operator vouches for it), as its link would.")
        @OptionGroup var options: ConfigOptions
        @Argument var name: String

        func run() throws {
            let (_, store) = try options.openStore()
            let user = try store.requireUser(name)
            guard let email = user.email else { throw CommandFailure("'\(user.username)' has no email") }
            try store.markEmailVerified(userID: user.id, now: Store.now())
            store.auditCommand(.emailVerified, user: user, detail: "by the operator")
            print("verified \(email) of '\(user.username)'")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user.",
            discussion: """
                The password comes from standard input (one line; only the line ending is removed), \
                or as an existing Argon2/bcrypt PHC string with --password-hash.
                Example: printf '%s\\n' "$PASSWORD" | gatehouse user add alice --scopes me,items --password-stdin
                """)

        @OptionGroup var options: ConfigOptions
        @Argument(help: "1 to 64 characters among A-Z a-z 0-9 . _ @ + -") var name: String
        @Option(help: "Email address.") var email: String?
        @Option(help: "Full name.") var fullName: String?
        @Option(help: ArgumentHelp("Scopes granted directly, comma-separated.", valueName: "scopes")) var scopes: [String] = []
        @Flag(help: "Create the user disabled: its logins open nothing but routes for inactive users (see user disable).")
        var disabled = false
        @OptionGroup var password: PasswordOptions

        func run() throws {
            let (config, store) = try options.openStore()
            if !Store.validUsername(name) {
                throw CommandFailure("invalid username '\(CommandText.printable(name))': use 1 to 64 characters among A-Z a-z 0-9 . _ @ + -")
            }
            if try store.user(named: name) != nil { throw CommandFailure("user '\(name)' already exists") }
            let hash = try password.hash(config: config)
            let user = try store.createUser(
                username: name, email: email, fullName: fullName, passwordHash: hash, disabled: disabled,
                scopes: CommandText.list(scopes))
            store.auditCommand(.userCreated, user: user)
            print("created user '\(user.username)' (id \(user.id))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var options: ConfigOptions

        func run() throws {
            let (_, store) = try options.openStore()
            var rows = [["ID", "USERNAME", "STATUS", "SCOPES", "ROLES"]]
            var offset = 0
            while true {
                let page = try store.listUsers(offset: offset, limit: 500)
                for u in page {
                    rows.append([String(u.id), u.username, u.disabled ? "disabled" : "active",
                                 u.scopes.joined(separator: ","), u.roles.joined(separator: ",")])
                }
                if page.count < 500 { break }
                offset += page.count
            }
            print(CommandText.table(rows))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one user (the password hash is never printed).")
        @OptionGroup var options: ConfigOptions
        @Argument var name: String

        func run() throws {
            let (config, store) = try options.openStore()
            let u = try store.requireUser(name)
            let hasher = PasswordHasher(config: config)
            var rows = [
                ["username:", u.username], ["id:", String(u.id)], ["email:", u.email ?? "-"],
                ["full name:", u.fullName ?? "-"], ["status:", u.disabled ? "disabled" : "active"],
                ["scopes:", u.scopes.joined(separator: " ")], ["roles:", u.roles.joined(separator: " ")],
                ["permissions:", try store.permissions(forRoles: u.roles).joined(separator: " ")],
            ]
            let scheme = PasswordInput.scheme(of: u.passwordHash)
            rows.append(["password:", hasher.needsRehash(u.passwordHash) ? "\(scheme) (rehashed at next login)" : scheme])
            rows += [["created:", CommandText.time(u.createdAt)], ["updated:", CommandText.time(u.updatedAt)],
                     ["password changed:", CommandText.time(u.passwordChangedAt)],
                     ["email verified:", u.emailVerified ? CommandText.time(u.emailVerifiedAt ?? 0) : "no"],
                     ["two-factor:", u.totpEnabled ? "TOTP, \(try store.unusedRecoveryCodes(userID: u.id)) recovery codes left" : "off"]]
            print(CommandText.table(rows.map { [$0[0], CommandText.printable($0[1])] }))
        }
    }

    struct SetPassword: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password", abstract: "Replace a user's password (from standard input, one line).")
        @OptionGroup var options: ConfigOptions
        @Argument var name: String
        @OptionGroup var password: PasswordOptions

        func run() throws {
            let (config, store) = try options.openStore()
            let u = try store.requireUser(name)
            let hash = try password.hash(config: config)
            try store.setPasswordHash(userID: u.id, hash: hash)
            store.auditCommand(.passwordChanged, user: u)
            print("password of '\(u.username)' changed")
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a user: their tokens and API keys stop working at once.",
            discussion: """
                A disabled user's password still gets a token from POST /token (tutorial005 answers so), \
                but it and HTTP Basic open only routes that accept inactive users; every other route \
                answers 400 Inactive user, and /check 403. With refuse_disabled_login = true the login \
                itself is refused.
                """)
        @OptionGroup var options: ConfigOptions
        @Argument var name: String
        func run() throws { try setDisabled(options, name, true) }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user.")
        @OptionGroup var options: ConfigOptions
        @Argument var name: String
        func run() throws { try setDisabled(options, name, false) }
    }

    static func setDisabled(_ options: ConfigOptions, _ name: String, _ disabled: Bool) throws {
        let (_, store) = try options.openStore()
        var u = try store.requireUser(name)
        u.disabled = disabled
        try store.updateUser(u)
        store.auditCommand(disabled ? .userDisabled : .userEnabled, user: u)
        print("user '\(u.username)' \(disabled ? "disabled" : "enabled")")
    }

    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Grant scopes to a user directly.")
        @OptionGroup var options: ConfigOptions
        @Argument var name: String
        @Argument(help: "Scopes to add (space- or comma-separated).") var scopes: [String]

        func run() throws {
            let (_, store) = try options.openStore()
            var u = try store.requireUser(name)
            let before = u.scopes
            let added = CommandText.list(scopes)
            guard !added.isEmpty else { throw ValidationError("name at least one scope") }
            u.scopes += added.filter { !u.scopes.contains($0) }
            u = try store.updateUser(u)
            store.auditCommand(.scopesChanged, user: u, detail: AuditTrail.difference(before, u.scopes))
            print("scopes of '\(u.username)': \(u.scopes.joined(separator: " "))")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke scopes granted to a user directly.")
        @OptionGroup var options: ConfigOptions
        @Argument var name: String
        @Argument(help: "Scopes to remove.") var scopes: [String]

        func run() throws {
            let (_, store) = try options.openStore()
            var u = try store.requireUser(name)
            let before = u.scopes
            let removed = Set(CommandText.list(scopes))
            guard !removed.isEmpty else { throw ValidationError("name at least one scope") }
            u.scopes.removeAll { removed.contains($0) }
            u = try store.updateUser(u)
            store.auditCommand(.scopesChanged, user: u, detail: AuditTrail.difference(before, u.scopes))
            print("scopes of '\(u.username)': \(u.scopes.joined(separator: " "))")
        }
    }

    struct GrantRole: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "grant-role", abstract: "Give a user a role.")
        @OptionGroup var options: ConfigOptions
        @Argument var name: String
        @Argument var role: String

        func run() throws {
            let (_, store) = try options.openStore()
            let u = try store.requireUser(name)
            let r = try store.requireRole(role)
            try store.grantRole(userID: u.id, role: r.name)
            if !u.roles.contains(r.name) { store.auditCommand(.rolesChanged, user: u, detail: "+" + r.name) }
            print("user '\(u.username)' has role '\(r.name)'")
        }
    }

    struct RevokeRole: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke-role", abstract: "Take a role from a user.")
        @OptionGroup var options: ConfigOptions
        @Argument var name: String
        @Argument var role: String

        func run() throws {
            let (_, store) = try options.openStore()
            let u = try store.requireUser(name)
            let r = try store.requireRole(role)
            let had = try store.revokeRole(userID: u.id, role: r.name)
            if had { store.auditCommand(.rolesChanged, user: u, detail: "-" + r.name) }
            print(had ? "role '\(r.name)' revoked from '\(u.username)'" : "user '\(u.username)' did not have role '\(r.name)'")
        }
    }

    struct TOTPOff: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "totp-off",
            abstract: "Turn a user's two-factor sign-in off (a lost authenticator and recovery codes).",
            discussion: "The secret and the recovery codes are deleted and the user's tokens and sessions end; the password alone signs in again.")
        @OptionGroup var options: ConfigOptions
        @Argument var name: String

        func run() throws {
            let (_, store) = try options.openStore()
            let u = try store.requireUser(name)
            guard try store.disableTOTP(userID: u.id, now: Store.now()) else {
                print("user '\(u.username)' did not have two-factor sign-in on")
                return
            }
            store.auditCommand(.totpDisabled, user: u)
            print("two-factor sign-in of '\(u.username)' turned off")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a user, with their role grants and API keys.")
        @OptionGroup var options: ConfigOptions
        @Argument var name: String

        func run() throws {
            let (_, store) = try options.openStore()
            let u = try store.requireUser(name)
            try store.deleteUser(id: u.id)
            store.auditCommand(.userDeleted, user: u)
            print("deleted user '\(u.username)'")
        }
    }
}
