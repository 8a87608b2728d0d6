import ArgumentParser
import Gatehouse

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create the database or bring its schema up to date; or copy an SQLite store into PostgreSQL.",
        discussion: """
            Safe to run again: migrations already applied are skipped. Serving migrates too.
            With --from sqlite:PATH --to postgresql://…, every row of the SQLite store is copied into an empty \
            PostgreSQL database in one transaction (ids kept) and the rows are counted on both sides.
            """)

    @OptionGroup var options: ConfigOptions

    @Option(help: ArgumentHelp("The SQLite store to copy from.", valueName: "sqlite:path"))
    var from: String?

    @Option(help: ArgumentHelp("The PostgreSQL store to copy into (its password from --password-file).",
                               valueName: "postgresql://…"))
    var to: String?

    @Option(help: ArgumentHelp("File of the PostgreSQL password (0600).", valueName: "file"))
    var passwordFile: String?

    func validate() throws {
        guard (from == nil) == (to == nil) else { throw ValidationError("--from and --to go together") }
        if let from, !from.hasPrefix("sqlite:") { throw ValidationError("--from takes sqlite:PATH") }
        if let to, !(to.hasPrefix("postgresql://") || to.hasPrefix("postgres://")) {
            throw ValidationError("--to takes a postgresql:// connection string")
        }
    }

    func run() throws {
        guard let from, let to else {
            let config = try options.loadConfig()
            let store = try Store.open(config: config)
            print("\(store.path): schema version \(store.schemaVersion)")
            return
        }
        var target = Config()
        target.database = to
        target.databasePasswordFile = passwordFile
        let source = try Store.open(path: String(from.dropFirst("sqlite:".count)))
        let destination = try Store.open(config: target)
        let copied = try source.copy(into: destination)
        for table in copied { print("\(table.table): \(table.source) → \(table.target)") }
        guard copied.allSatisfy({ $0.source == $0.target }) else { throw CommandFailure("the counts differ") }
        print("copied \(source.path) into \(destination.path) at schema version \(destination.schemaVersion)")
    }
}
