import ArgumentParser
import Gatehouse
import GatehouseServer

/// `gatehouse config …`: the settings table, as values, checks and documents.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show or check the settings, print an example file or the README's settings table.",
        subcommands: [Show.self, Check.self, Example.self, Readme.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every setting, its value and where it came from (default, FILE:LINE or the variable); secrets masked.")

        @Option(help: "Configuration file (default: $GATEHOUSE_CONFIG, if set).")
        var config: String?

        func run() throws {
            print(try Server.loadConfig(file: config).describe(), terminator: "")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a file alone (no environment): prints ok, or the first error with status 1.")

        @Argument(help: "The configuration file.")
        var file: String

        func run() throws {
            _ = try Config.load(file: file, environment: [:])
            print("ok")
        }
    }

    struct Example: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A complete, commented config file at the defaults, e.g. for /etc/gatehouse/gatehouse.conf.")

        func run() { print(Config.exampleFile(), terminator: "") }
    }

    struct Readme: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The README's settings table in Markdown (make readme-settings puts it in the README).")

        func run() { print(Config.markdownTable(), terminator: "") }
    }
}
