import ArgumentParser
import FoundationEssentials
import Glibc
import Gatehouse

struct APIKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey",
        abstract: "Manage API keys: create (the key is printed once), list, revoke.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key for a user and print it; it is stored only as a hash and cannot be shown again.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The key's owner.") var user: String
        @Option(help: "A name to recognise the key by.") var name: String
        @Option(help: ArgumentHelp("Scopes, comma-separated; never more than the owner holds.", valueName: "scopes"))
        var scopes: [String] = []
        @Option(help: "Days until the key expires (default: never).") var expiresInDays: Int?

        func run() throws {
            let (_, store) = try options.openStore()
            let owner = try store.requireUser(user)
            let wanted = CommandText.list(scopes)
            let beyond = wanted.filter { !owner.scopes.contains($0) }
            guard beyond.isEmpty else {
                throw CommandFailure("'\(owner.username)' does not hold: \(beyond.joined(separator: " "))")
            }
            guard (1...100).contains(name.count) else { throw CommandFailure("--name: 1 to 100 characters") }
            if let days = expiresInDays, !(1...3650).contains(days) {
                throw CommandFailure("--expires-in-days: 1 to 3650")
            }
            let (record, key) = try APIKeys.issue(
                in: store, userID: owner.id, name: name, scopes: wanted, expiresInDays: expiresInDays, now: Store.now())
            store.auditCommand(.apiKeyCreated, user: owner, detail: "key \(record.id)")
            print(key)
            printErr("created key \(record.id) for '\(owner.username)'; this is the only time it is shown")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a user's keys (never their secrets).")
        @OptionGroup var options: ConfigOptions
        @Argument var user: String

        func run() throws {
            let (_, store) = try options.openStore()
            let owner = try store.requireUser(user)
            var rows = [["ID", "NAME", "SCOPES", "CREATED", "EXPIRES", "LAST USED", "REVOKED"]]
            for k in try store.listAPIKeys(userID: owner.id) {
                rows.append([
                    k.id, CommandText.printable(k.name), k.scopes.joined(separator: ","), CommandText.time(k.createdAt),
                    k.expiresAt.map(CommandText.time) ?? "-", k.lastUsedAt.map(CommandText.time) ?? "-",
                    k.revokedAt.map(CommandText.time) ?? "-",
                ])
            }
            print(CommandText.table(rows))
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its id.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The key id (the 16 hex digits after gh_).") var id: String

        func run() throws {
            let (_, store) = try options.openStore()
            guard let record = try store.apiKey(id: id), try store.revokeAPIKey(id: id) else {
                throw CommandFailure("no API key with id '\(CommandText.printable(id))'")
            }
            store.auditCommand(.apiKeyRevoked, user: try store.user(id: record.userID), detail: "key \(id)")
            print("revoked key \(id)")
        }
    }
}

func printErr(_ text: String) {
    StandardError.write((text + "\n"))
}
