import FoundationEssentials
import Glibc

/// What the settings table says to people: `config show`, `config example`, the README table.
extension Config {
    /// Every setting with its value (secrets masked) and where it came from, then the scopes.
    package func describe() -> String {
        let width = Config.settings.map(\.key.count).max() ?? 0
        var lines = Config.settings.map { setting -> String in
            let value = setting.value(in: self)
            let origin = origins[setting.key] ?? .defaultValue
            return pad(setting.key, width) + "  " + pad(value.isEmpty ? "(unset)" : value, 40) + "  " + origin.description
        }
        for scope in scopes {
            let key = Config.scopePrefix + scope.name
            let origin = origins[key].map(\.description) ?? "demo"
            lines.append(pad(key, width) + "  " + pad(scope.description, 40) + "  " + origin)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A complete config file: every setting commented out at its default, with its help.
    package static func exampleFile() -> String {
        var text = """
            # Gatehouse settings, e.g. /etc/gatehouse/gatehouse.conf (gatehouse --config FILE, or $\(fileVariable)).
            # `key = value` lines; a line starting with # is a comment. A GATEHOUSE_<KEY> environment
            # variable overrides the file's line. Every setting is below, commented out at its default.

            """
        for section in sections {
            text += "\n# ── \(section.title) ──\n"
            for setting in section.settings {
                var notes = ["accepts \(setting.accepts)"]
                if setting.defaultNote != nil { notes.append("default: \(setting.defaultDescription)") }
                if setting.restartOnly { notes.append("restart to change") }
                if setting.secret { notes.append("secret") }
                let line = setting.defaultValue.isEmpty ? setting.key + " =" : "\(setting.key) = \(setting.defaultValue)"
                text += "\n# \(setting.help)\n# (\(notes.joined(separator: "; ")))\n# \(line)\n"
            }
        }
        text += """

            # ── Scopes ──

            # The OAuth2 scopes offered, in order, one line each (with demo = true and none here: me, items).
            # scope.me = Read information about the current user.

            """
        return text
    }

    /// The README's settings table, in Markdown.
    package static func markdownTable() -> String {
        var rows = ["| key | default | accepts | |", "|---|---|---|---|"]
        for setting in settings {
            var notes = [setting.help]
            if setting.restartOnly { notes.append("Restart to change.") }
            if setting.secret { notes.append("Secret: never shown.") }
            let defaultCell = setting.defaultNote ?? (setting.defaultValue.isEmpty ? "—" : "`\(setting.defaultValue)`")
            rows.append("| `\(setting.key)` | \(cell(defaultCell)) | \(cell(setting.accepts)) | \(cell(notes.joined(separator: " "))) |")
        }
        rows.append("| `scope.NAME` | demo: `me`, `items` | description | The OAuth2 scopes offered, in order. |")
        return rows.joined(separator: "\n") + "\n"
    }

    private static func cell(_ text: String) -> String { 
        text.replacing("|", with: "\\|").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
    }
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}
