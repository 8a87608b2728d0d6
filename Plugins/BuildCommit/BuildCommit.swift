import Foundation
import PackagePlugin

/// Writes `let buildCommit = "abc1234"` (the package's git HEAD, "abc1234-dirty" with
/// uncommitted changes to tracked files, "unknown" outside git) into the target before
/// every build. The file is only rewritten when the commit
/// changes, so an unchanged HEAD recompiles nothing.
@main
struct BuildCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let script = #"""
            mkdir -p "$2"
            if commit=$(git -C "$1" rev-parse --short=7 HEAD 2>/dev/null); then
                git -C "$1" --no-optional-locks diff --quiet HEAD 2>/dev/null || commit="$commit-dirty"
            else
                commit=unknown
            fi
            line="let buildCommit = \"$commit\""
            file="$2/BuildCommit.swift"
            [ -f "$file" ] && [ "$(cat "$file")" = "$line" ] || printf '%s\n' "$line" > "$file"
            """#
        return [
            .prebuildCommand(
                displayName: "BuildCommit: record the git commit",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "build-commit", context.package.directoryURL.path, output.path],
                outputFilesDirectory: output)
        ]
    }
}
