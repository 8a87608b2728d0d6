import ArgumentParser

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "(being written)")
    func run() throws { throw ValidationError("not written yet") }
}
