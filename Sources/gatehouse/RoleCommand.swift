import ArgumentParser
import Gatehouse

struct RoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "role",
        abstract: "Manage roles and their permissions: add, grant, revoke, list, delete.",
        subcommands: [Add.self, Grant.self, Revoke.self, List.self, Delete.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a role.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "1 to 64 characters among A-Z a-z 0-9 . _ @ + - :") var name: String
        @Option(help: ArgumentHelp("Permissions, comma-separated (users:read,users:write).", valueName: "permissions"))
        var permissions: [String] = []

        func run() throws {
            let (_, store) = try options.openStore()
            guard Store.validRoleName(name) else {
                throw CommandFailure("invalid role name '\(CommandText.printable(name))': use 1 to 64 characters among A-Z a-z 0-9 . _ @ + - :")
            }
            if try store.role(named: name) != nil { throw CommandFailure("role '\(name)' already exists") }
            let role = try store.createRole(name: name, permissions: CommandText.list(permissions))
            store.auditCommand(.roleCreated, user: nil, detail: "\(role.name): \(role.permissions.joined(separator: " "))")
            print("created role '\(role.name)': \(role.permissions.joined(separator: " "))")
        }
    }

    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add permissions to a role.")
        @OptionGroup var options: ConfigOptions
        @Argument var role: String
        @Argument(help: "Permissions to add.") var permissions: [String]

        func run() throws {
            let (_, store) = try options.openStore()
            let r = try store.requireRole(role)
            let added = CommandText.list(permissions)
            guard !added.isEmpty else { throw ValidationError("name at least one permission") }
            let now = r.permissions + added.filter { !r.permissions.contains($0) }
            try store.setRolePermissions(name: r.name, permissions: now)
            store.auditCommand(.permissionsChanged, user: nil, detail: "\(r.name): " + AuditTrail.difference(r.permissions, now))
            print("permissions of role '\(r.name)': \(now.joined(separator: " "))")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove permissions from a role.")
        @OptionGroup var options: ConfigOptions
        @Argument var role: String
        @Argument(help: "Permissions to remove.") var permissions: [String]

        func run() throws {
            let (_, store) = try options.openStore()
            let r = try store.requireRole(role)
            let removed = Set(CommandText.list(permissions))
            guard !removed.isEmpty else { throw ValidationError("name at least one permission") }
            let now = r.permissions.filter { !removed.contains($0) }
            try store.setRolePermissions(name: r.name, permissions: now)
            store.auditCommand(.permissionsChanged, user: nil, detail: "\(r.name): " + AuditTrail.difference(r.permissions, now))
            print("permissions of role '\(r.name)': \(now.joined(separator: " "))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List roles and their permissions.")
        @OptionGroup var options: ConfigOptions

        func run() throws {
            let (_, store) = try options.openStore()
            let rows = [["ROLE", "PERMISSIONS"]] + (try store.listRoles()).map { [$0.name, $0.permissions.joined(separator: ",")] }
            print(CommandText.table(rows))
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a role; users who had it lose it.")
        @OptionGroup var options: ConfigOptions
        @Argument var role: String

        func run() throws {
            let (_, store) = try options.openStore()
            let r = try store.requireRole(role)
            try store.deleteRole(name: r.name)
            store.auditCommand(.roleDeleted, user: nil, detail: r.name)
            print("deleted role '\(r.name)'")
        }
    }
}
