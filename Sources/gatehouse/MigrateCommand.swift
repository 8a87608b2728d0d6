import ArgumentParser

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "(being written)")
    func run() throws { throw ValidationError("not written yet") }
}
