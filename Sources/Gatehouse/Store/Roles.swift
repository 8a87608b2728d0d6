package struct Role: Sendable, Equatable {
    package var name: String
    package var permissions: [String]
    package var createdAt: Int64

    package init(name: String, permissions: [String], createdAt: Int64) {
        self.name = name
        self.permissions = permissions
        self.createdAt = createdAt
    }
}

extension Store {
    @discardableResult
    package func createRole(name: String, permissions: [String] = [], now: Int64 = Store.now()) throws -> Role {
        try Store.checkRoleName(name)
        try Store.checkScopes(permissions, kind: "permission")
        let permissions = Store.unique(permissions)
        return try locked {
            do {
                try connection.run(
                    "INSERT INTO roles (name, permissions, created_at) VALUES (?, ?, ?)",
                    [.text(name), .text(Store.joinList(permissions)), .int(now)])
            } catch let error where Store.isUniqueViolation(error) {
                throw StoreError.duplicate("role '\(name)'")
            }
            return Role(name: name, permissions: permissions, createdAt: now)
        }
    }

    package func role(named name: String) throws -> Role? {
        guard Store.validRoleName(name) else { return nil }
        return try cached(\.roles, name) {
            try connection.query("SELECT name, permissions, created_at FROM roles WHERE name = ?", [.text(name)], Store.readRole)
                .first
        }
    }

    /// All roles, by name.
    package func listRoles() throws -> [Role] {
        try locked { try connection.query("SELECT name, permissions, created_at FROM roles ORDER BY name", [], Store.readRole) }
    }

    package func setRolePermissions(name: String, permissions: [String]) throws {
        try Store.checkScopes(permissions, kind: "permission")
        let permissions = Store.unique(permissions)
        try locked {
            try connection.transaction {
                guard let before = try role(named: name) else { throw StoreError.notFound("role '\(name)'") }
                try connection.run(
                    "UPDATE roles SET permissions = ? WHERE name = ?", [.text(Store.joinList(permissions)), .text(name)])
                if before.permissions.contains(where: { !permissions.contains($0) }) {
                    try invalidateTokens(ofRoleHolders: name)
                }
            }
        }
    }

    /// Deletes the role and every grant of it; false when there was none.
    @discardableResult
    package func deleteRole(name: String) throws -> Bool {
        try locked {
            try connection.transaction {
                try invalidateTokens(ofRoleHolders: name)
                return try connection.run("DELETE FROM roles WHERE name = ?", [.text(name)]) == 1
            }
        }
    }

    /// Grants a role (again: no change). notFound when the user or the role does not exist.
    package func grantRole(userID: Int64, role: String) throws {
        try locked {
            try connection.transaction {
                guard try self.role(named: role) != nil else { throw StoreError.notFound("role '\(role)'") }
                guard try !connection.query("SELECT 1 FROM users WHERE id = ?", [.int(userID)], { _ in true }).isEmpty else {
                    throw StoreError.notFound("user #\(userID)")
                }
                try connection.run(
                    "INSERT INTO user_roles (user_id, role_name) VALUES (?, ?) ON CONFLICT DO NOTHING", [.int(userID), .text(role)])
            }
        }
    }

    /// false when the user did not have the role; when they did, their tokens end.
    @discardableResult
    package func revokeRole(userID: Int64, role: String) throws -> Bool {
        try locked {
            try connection.transaction {
                let had = try connection.run(
                    "DELETE FROM user_roles WHERE user_id = ? AND role_name = ?", [.int(userID), .text(role)]) == 1
                if had {
                    try connection.run(
                        "UPDATE users SET credential_version = credential_version + 1 WHERE id = ?", [.int(userID)])
                }
                return had
            }
        }
    }

    /// The union of the roles' permissions: roles in the order given, each role's
    /// permissions in their stored order, first occurrence kept. Unknown roles add nothing.
    package func permissions(forRoles roles: [String]) throws -> [String] {
        var all: [String] = []
        if roles.isEmpty { return [] }
        for name in roles {
            if let role = try role(named: name) { all += role.permissions }
        }
        return Store.unique(all)
    }

    static func readRole(_ row: SQLRow) -> Role {
        Role(name: row.text(0), permissions: Store.splitList(row.text(1)), createdAt: row.int(2))
    }
}
