import ArgumentParser
import FoundationEssentials
import Glibc
import Gatehouse

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "List the audit trail: logins, API keys, user, role and permission changes, oldest first.",
        discussion: """
            Rows are kept audit_retention_days (90 by default); the running server prunes older ones hourly. \
            --event takes a name (login.failed) or a subject (login); --user matches the account or the actor.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "Only rows about (or done by) this user.") var user: String?
    @Option(help: "Only this event (login.failed) or subject (login, user, apikey, role).") var event: String?
    @Option(help: ArgumentHelp("Only rows from this time on: 2026-12-01, 2026-12-01T10:00:00Z, or 30m, 12h, 7d ago.", valueName: "time"))
    var since: String?
    @Option(help: "At most this many rows, the newest.") var limit = 100
    @Flag(help: "One JSON object a line.") var json = false

    func run() throws {
        guard (1...100_000).contains(limit) else { throw CommandFailure("--limit: 1 to 100000") }
        let from = try since.map { text in
            guard let time = AuditCommand.time(text, now: Store.now()) else {
                throw CommandFailure("--since: expected a date, a date and time (UTC), or N followed by s, m, h or d")
            }
            return time
        }
        let (_, store) = try options.openStore()
        let entries = try store.auditEntries(username: user, event: event, since: from, limit: limit)
        if json {
            for entry in entries { print(entry.json.text) }
            return
        }
        var rows = [["TIME", "EVENT", "USER", "ACTOR", "ADDRESS", "REQUEST", "OUTCOME", "DETAIL"]]
        for e in entries {
            rows.append([
                CommandText.time(e.time), e.event.rawValue, e.username.map { "\(CommandText.printable($0)) (\(e.userID.map(String.init) ?? "-"))" } ?? "-",
                e.actor.isEmpty ? "-" : CommandText.printable(e.actor), e.address.isEmpty ? "-" : CommandText.printable(e.address),
                e.requestID.isEmpty ? "-" : CommandText.printable(e.requestID), e.outcome, CommandText.printable(e.detail),
            ])
        }
        print(CommandText.table(rows))
    }

    /// `2026-12-01`, `2026-12-01T10:00:00Z` (UTC), or `30m` / `12h` / `7d` / `90s` before `now`.
    static func time(_ text: String, now: Int64) -> Int64? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let unit = text.last.flatMap({ units[$0] }), let count = Int64(text.dropLast()), count >= 0 {
            return now - count * unit
        }
        return ISOTime.parse(text)
    }
}
