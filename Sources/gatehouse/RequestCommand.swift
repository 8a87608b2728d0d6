import ArgumentParser

struct RequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "request", abstract: "(being written)")
    func run() throws { throw ValidationError("not written yet") }
}
