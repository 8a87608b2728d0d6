import ArgumentParser
import Gatehouse

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create the database or bring its schema up to date.",
        discussion: "Safe to run again: migrations already applied are skipped. Serving migrates too.")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let config = try options.loadConfig()
        let store = try Store.open(config: config)
        print("\(store.path): schema version \(store.schemaVersion)")
    }
}
