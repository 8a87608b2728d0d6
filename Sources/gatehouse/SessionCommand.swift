import ArgumentParser
import Gatehouse

struct SessionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session",
        abstract: "List and end sessions (password logins and their refresh tokens).",
        subcommands: [List.self, Revoke.self, RevokeAll.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a user's live sessions.")
        @OptionGroup var options: ConfigOptions
        @Argument var user: String

        func run() throws {
            let (config, store) = try options.openStore()
            let owner = try store.requireUser(user)
            let now = Store.now()
            var rows = [["ID", "CREATED", "LAST SEEN", "EXPIRES", "ADDRESS", "SCOPES", "USER AGENT"]]
            for s in try store.listSessions(userID: owner.id) where s.isLive(at: now, idleSeconds: config.sessionIdle) {
                rows.append([s.id, CommandText.time(s.createdAt), CommandText.time(s.lastSeenAt), CommandText.time(s.expiresAt),
                             CommandText.printable(s.clientAddress), s.scopes.joined(separator: ","),
                             CommandText.printable(s.userAgent)])
            }
            print(CommandText.table(rows))
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End one session by its id: its tokens stop working at once.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The session id (gatehouse session list USER).") var id: String

        func run() throws {
            let (_, store) = try options.openStore()
            guard try store.endSession(id: id, reason: .revoked, now: Store.now()) else {
                throw CommandFailure("no live session with id '\(CommandText.printable(id))'")
            }
            print("ended session \(id)")
        }
    }

    struct RevokeAll: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke-all", abstract: "End every session of a user.")
        @OptionGroup var options: ConfigOptions
        @Argument var user: String

        func run() throws {
            let (_, store) = try options.openStore()
            let owner = try store.requireUser(user)
            let ended = try store.endSessions(userID: owner.id, reason: .revoked, now: Store.now())
            print("ended \(ended) session\(ended == 1 ? "" : "s") of '\(owner.username)'")
        }
    }
}
