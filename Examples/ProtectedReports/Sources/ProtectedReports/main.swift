import Gatehouse
import GatehouseServer

/// GET /reports for holders of the scope `reports` and the role `analyst`, next to all of
/// Gatehouse's own routes (/token, /users/me/ …).
let reports = Model("Reports", [.init("owner", .string()), .init("reports", .array(.string()))])

Server { schemes in
    [
        Route("GET", "/reports", name: "read_reports",
              security: schemes.user(scopes: ["reports"], roles: ["analyst"]), response: .model(reports)) { _, identity in
            Output(.object([("owner", .string(identity.user.username)), ("reports", ["q3-revenue", "q4-forecast"])]))
        },
    ]
}.main()
