extension App {
    /// The API's route table: the one source for routing, security checks and /openapi.json.
    static func routes(config: Config) -> [Route] {
        var routes: [Route] = [
            Route("GET", "/health", name: "health") { _ in .json(.object([("status", "ok")])) },
        ]
        _ = config
        return routes
    }
}
