import ArgumentParser
import Gatehouse
import GatehouseServer
import Logging

struct MailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail",
        abstract: "The outbox: messages the master delivers (verification, password reset, invites).",
        subcommands: [List.self, Retry.self, Purge.self, Deliver.self])

    struct Deliver: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver the messages that are due now, once.",
            discussion: """
                gatehouse serve's master does this every two seconds. Where no master runs (the binary \
                started by spawn-fcgi or lighttpd), run this from a timer or cron instead.
                """)
        @OptionGroup var options: ConfigOptions

        func run() throws {
            let config = try options.loadConfig()
            guard config.sendsMail else { throw CommandFailure("mail_transport = none: nothing delivers") }
            var logger = Logger(label: "gatehouse")
            logger.logLevel = .warning
            let summary = try OutboxDelivery(config: config, logger: logger).run()
            print("sent \(summary.sent), retrying \(summary.retrying), failed \(summary.failed)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the messages kept: queued, sent and failed.")
        @OptionGroup var options: ConfigOptions
        @Option(help: ArgumentHelp("Only messages in this state: queued, sent or failed.", valueName: "state")) var state: String?

        func run() throws {
            let (_, store) = try options.openStore()
            var only: OutboxMessage.State?
            if let state {
                guard let parsed = OutboxMessage.State(rawValue: state), parsed != .discarded else {
                    throw CommandFailure("--state: expected queued, sent or failed")
                }
                only = parsed
            }
            var rows = [["ID", "KIND", "TO", "STATE", "ATTEMPTS", "CREATED", "NEXT ATTEMPT", "LAST ERROR"]]
            for m in try store.outboxMessages(state: only) {
                rows.append([String(m.id), m.kind.rawValue, CommandText.printable(m.recipient), m.state.rawValue, String(m.attempts),
                             CommandText.time(m.createdAt), m.state == .queued ? CommandText.time(m.nextAttemptAt) : "-",
                             CommandText.printable(m.lastError)])
            }
            print(CommandText.table(rows))
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue failed messages again, with fresh attempts; the master sends them within seconds.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The message id (gatehouse mail list); none: every failed message.") var id: Int64?

        func run() throws {
            let (_, store) = try options.openStore()
            let queued = try store.retryMessages(id: id, now: Store.now())
            if let id, queued == 0 { throw CommandFailure("no failed message with id \(id)") }
            print("queued \(queued) message\(queued == 1 ? "" : "s") again")
        }
    }

    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove sent messages (and with --failed, failed ones).")
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Remove failed messages too.") var failed = false
        @Option(help: ArgumentHelp("Only messages older than this many days.", valueName: "days")) var olderThanDays: Int?

        func run() throws {
            let (_, store) = try options.openStore()
            if let days = olderThanDays, days < 0 { throw CommandFailure("--older-than-days: expected 0 or more") }
            let before = olderThanDays.map { Store.now() - Int64($0) * 86400 }
            let removed = try store.purgeMessages(failed: failed, before: before)
            print("removed \(removed) message\(removed == 1 ? "" : "s")")
        }
    }
}

struct InviteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invite",
        abstract: "Single-use invite codes for registration = invite.",
        subcommands: [Create.self, List.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an invite code and print it (mailed too, with --email, when mail is on).")
        @OptionGroup var options: ConfigOptions
        @Option(help: ArgumentHelp("Only this address may register with it.", valueName: "address")) var email: String?
        @Option(help: ArgumentHelp("Lifetime (default: invite_token_days).", valueName: "days")) var expiresInDays: Int?

        func run() throws {
            let (config, store) = try options.openStore()
            if let email, !EmailAddress.isValid(email) { throw CommandFailure("--email: not a valid address") }
            let days = expiresInDays ?? config.inviteTokenDays
            guard (1...365).contains(days) else { throw CommandFailure("--expires-in-days: expected 1 to 365") }
            let issuer = AccountIssuer(store: store, key: try AccountToken.loadKey(config: config))
            let code = try issuer.issue(
                .invite, userID: nil, email: email, lifetime: Int64(days) * 86400, createdBy: "cli",
                mailTo: config.sendsMail ? email.map { AccountIssuer.Recipient(address: $0) } : nil, now: Store.now())
            store.auditCommand(.inviteCreated, user: nil, detail: email == nil ? "" : "for an address")
            print(code)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the invites not used yet (never their codes).")
        @OptionGroup var options: ConfigOptions

        func run() throws {
            let (_, store) = try options.openStore()
            var rows = [["CREATED", "EXPIRES", "FOR", "BY"]]
            for invite in try store.liveInvites(now: Store.now()) {
                rows.append([CommandText.time(invite.createdAt), CommandText.time(invite.expiresAt), invite.email ?? "anyone",
                             CommandText.printable(invite.createdBy)])
            }
            print(CommandText.table(rows))
        }
    }
}
