/// The current user's routes of tutorial005.
enum UserRoutes {
    static func readMe(_ context: inout Context) throws -> Output {
        Output(json(try context.user))
    }

    /// tutorial005's `User`.
    static func json(_ user: User) -> JSON {
        .object([
            ("username", .string(user.username)),
            ("email", .optional(user.email)),
            ("full_name", .optional(user.fullName)),
            ("disabled", .bool(user.disabled)),
        ])
    }

    static func readItems(_ context: inout Context) throws -> Output {
        Output([.object([("item_id", "Foo"), ("owner", .string(try context.user.username))])])
    }

    static func status(_ context: inout Context) throws -> Output {
        Output(.object([("status", "ok")]))
    }
}
