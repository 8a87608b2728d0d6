import FoundationEssentials
import Glibc
import Logging
import Synchronization

/// What a handler sees: the request (with its path parameters), the parsed body, the
/// identity its security requirement established, and the app's services.
public struct Context {
    public var request: Request
    public let app: App
    public var form = Form()
    public var json: JSON = .null
    public var identity: Identity?
    public var credential: Credential?
    public var routeParameters: [Route.Parameter] = []
    /// The route being answered.
    public var route: Route?

    /// The identity of a route whose requirement resolves a user.
    public var user: User {
        get throws { try requireIdentity().user }
    }

    public func requireIdentity() throws(HTTPError) -> Identity {
        guard let identity else { throw HTTPError.internalServerError }
        return identity
    }
}

/// `handle(Request) -> Response`: all of Gatehouse's HTTP behaviour, free of FastCGI.
/// It depends only on the store, the keys, the clock and the config handed to it.
public final class App {
    public let config: Config
    public let logger: Logger
    public let store: Store
    public let keys: JWTKeySet
    /// The access tokens that verified here, read once.
    let accessTokens: VerifiedAccessTokens
    let cookieProofs = SessionCookieProofs()
    public let hasher: PasswordHasher
    public let cors: CORSPolicy
    public let now: @Sendable () -> Int64
    /// nil: hashes are bounded only by the workers there are (the login pool, CGI, tests).
    public let hashLimiter: (any HashLimiter)?
    /// Failed credential checks, shared by the master's workers (a local one for CGI and tests).
    public let failureLedger: any FailureLedger
    /// Basic credentials that needed a hash (unknown, new, changed or wrong).
    public let basicCacheMisses = Atomic<Int>(0)
    let basicCache: BasicCache
    let assertion: IdentityAssertion?
    let twoFactorKey: TwoFactorKey
    /// Derives the tokens of queued messages (AccountToken).
    let accountTokenKey: [UInt8]
    /// The route and user of the request being answered, for the access log.
    private var accessRecord: (route: String?, userID: Int64?) = (nil, nil)
    private var lastStatus = 0
    public let authenticator: Authenticator
    /// What `/metrics` reports; the server's sink sums every worker of the master.
    public let metrics: any MetricsSink
    let router: Router<Route>
    /// The metrics index of the route being answered (unmatched until one matches).
    private var metricsRoute = MetricsLayout.unmatchedRoute
    private let failures = Atomic<Int>(0)

    public init(
        config: Config, store: Store, keys: JWTKeySet, logger: Logger = Logger(label: "gatehouse"),
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
        hashLimiter: (any HashLimiter)? = nil, failureLedger: (any FailureLedger)? = nil,
        authenticator: Authenticator = .standard(), metrics: (any MetricsSink)? = nil,
        extraRoutes: (Schemes) -> [Route] = { _ in [] }
    ) throws {
        self.config = config
        self.metrics = metrics ?? LocalMetrics()
        self.hashLimiter = hashLimiter
        // Nodes that share a PostgreSQL database share its ledger, whatever this process was given.
        self.failureLedger = store.isPostgreSQL ? StoreFailureLedger(store: store) : failureLedger ?? LocalFailureLedger()
        self.store = store
        self.keys = keys
        accessTokens = VerifiedAccessTokens(keys: keys)
        self.logger = logger
        self.now = now
        hasher = PasswordHasher(config: config)
        cors = try CORSPolicy(config: config)
        basicCache = BasicCache(lifetime: config.basicCacheSeconds)
        assertion = try IdentityAssertion.load(config: config)
        twoFactorKey = try TwoFactorKey.load(config: config)
        accountTokenKey = try AccountToken.loadKey(config: config)
        self.authenticator = authenticator
        var router = Router<Route>()
        let schemes = Schemes(config: config)
        for var route in App.routes(config: config, schemes: schemes) + extraRoutes(schemes) {
            route.metricsIndex = self.metrics.routeIndex(route.metricsLabel)
            router.add(route.method, route.path, route)
        }
        self.router = router
    }

    /// Opens this process's own store connection and keys: one App per worker.
    /// `deferredStore`: the store is connected at its first use (a CGI request that reads
    /// nothing from it never opens it); a worker connects at once, so that a bad store fails its start.
    public static func open(config: Config, logger: Logger = Logger(label: "gatehouse"),
                            hashLimiter: (any HashLimiter)? = nil, failureLedger: (any FailureLedger)? = nil,
                            authenticator: Authenticator = .standard(), metrics: (any MetricsSink)? = nil,
                            extraRoutes: (Schemes) -> [Route] = { _ in [] }, deferredStore: Bool = false) throws -> App {
        let store = try Store.open(config: config, deferred: deferredStore)
        let keys = try JWTKeySet.load(config: config)
        return try App(config: config, store: store, keys: keys, logger: logger, hashLimiter: hashLimiter,
                       failureLedger: failureLedger, authenticator: authenticator, metrics: metrics, extraRoutes: extraRoutes)
    }

    /// Run once by the master before it forks: creates and migrates the store and the
    /// secret file, so workers never race to create them and a bad setting fails the start.
    /// Returns what the operator should hear about: a database others may read.
    @discardableResult
    public static func prepare(config: Config) throws -> [String] {
        _ = try Store.open(config: config)
        _ = try JWTKeySet.load(config: config)
        _ = try IdentityAssertion.load(config: config)
        _ = try TwoFactorKey.load(config: config)
        _ = try AccountToken.loadKey(config: config)
        if config.databaseIsPostgreSQL { return [] }
        return SecretStrength.exposure(of: config.databasePath).map { ["database \(config.databasePath): \($0)"] } ?? []
    }

    public var routes: [Route] { router.entries.map(\.route) }

    /// `METHOD /path` of every route an App with this configuration serves, in the order App
    /// asks its metrics sink for them: what the master registers before it forks.
    public static func routeLabels(config: Config, extraRoutes: (Schemes) -> [Route] = { _ in [] }) -> [String] {
        let schemes = Schemes(config: config)
        return (App.routes(config: config, schemes: schemes) + extraRoutes(schemes)).map(\.metricsLabel)
    }

    public func handle(_ request: Request) -> Response {
        store.beginRequest()
        metrics.requestBegan()
        let started = MonotonicClock.nanoseconds()
        accessRecord = (nil, nil)
        metricsRoute = MetricsLayout.unmatchedRoute
        defer {
            store.endRequest()
            metrics.requestEnded(route: metricsRoute, status: lastStatus,
                                 nanoseconds: MonotonicClock.nanoseconds() &- started)
            if config.accessLog { logAccess(request, started: started) }
        }
        if cors.isEnabled, let preflight = cors.preflight(request) {
            lastStatus = preflight.status
            return preflight
        }
        var response = request.bodyTooLarge ? HTTPError.bodyTooLarge.response : route(request)
        if cors.isEnabled { cors.apply(to: &response, for: request) }
        lastStatus = response.status
        return response
    }

    func route(_ request: Request) -> Response {
        switch router.decide(method: request.method, path: request.path) {
        case .notFound:
            return HTTPError.notFound.response
        case let .methodNotAllowed(allow):
            return HTTPError.methodNotAllowed(allow: allow).response
        case let .redirect(path):
            return Response.empty(status: 307, headers: Headers([("location", redirectLocation(request, path: path))]))
        case let .matched(route, parameters):
            accessRecord.route = route.path
            metricsRoute = route.metricsIndex
            var context = Context(request: request, app: self)
            context.request.pathParameters = parameters
            context.routeParameters = route.parameters
            context.route = route
            do {
                // FastAPI reads the body before it solves the security dependencies.
                switch route.body {
                case .none: break
                case .form: context.form = try Form.parse(request)
                case .json: context.json = try App.jsonBody(request)
                }
                if let requirement = route.security {
                    (context.identity, context.credential) = try authenticator.authorize(request, requirement, app: self)
                    accessRecord.userID = context.identity?.user.id
                }
                var response = try App.render(try route.handler(&context), for: route)
                // A body may carry a password or a token (a login, a registration, a reset).
                if route.security != nil || route.body.model != nil { App.forbidCaching(&response) }
                return response
            } catch let error as HTTPError {
                return (route.name == "check" ? error.forAuthRequest() : error).response
            } catch let StoreError.invalid(why) {
                return HTTPError(400, why).response
            } catch let error as StoreError where error.isUnavailable {
                logger.warning("\(request.method) \(route.path): database unavailable, answered 503: \(error)")
                return HTTPError.serviceUnavailable.response
            } catch {
                let number = failures.add(1, ordering: .relaxed).newValue
                logger.error("request \(getpid())-\(number) \(request.method) \(route.path) failed: \(error)")
                return HTTPError.internalServerError.response
            }
        }
    }

    func logAccess(_ request: Request, started: UInt64) {
        let micros = (MonotonicClock.nanoseconds() - started) / 1000
        logger.info("access", metadata: [
            "method": .string(request.method), "route": .string(accessRecord.route ?? request.path),
            "status": .string(String(lastStatus)), "duration_us": .string(String(micros)),
            "user_id": .string(accessRecord.userID.map(String.init) ?? "-"), "request_id": .string(request.requestID),
        ])
    }

    /// The handler's value through the route's response model, with the route's status (or
    /// one of its declared alternatives). Anything else is a bug, answered 500 and logged.
    static func render(_ output: Output, for route: Route) throws -> Response {
        let status = output.status ?? route.status
        guard status == route.status || route.alternatives.contains(status) else {
            throw RenderError(route: route.name, problem: "status \(status) is not declared")
        }
        if let page = output.page {
            var headers = output.headers
            headers.set("content-type", page.contentType)
            return Response(status: status, headers: headers, body: page.body)
        }
        if status != route.status { return .empty(status: status, headers: output.headers) }
        let value = output.value ?? .null
        switch route.response {
        case .empty, .html:
            return .empty(status: status, headers: output.headers)
        case .any:
            return .json(value, status: status, headers: output.headers)
        case let .model(model):
            return .json(try model.render(value, route: route.name), status: status, headers: output.headers)
        case let .list(model):
            guard case let .array(items) = value else { throw RenderError(route: route.name, problem: "not a list") }
            return .json(.array(try items.map { try model.render($0, route: route.name) }), status: status, headers: output.headers)
        }
    }

    /// What a secured route, or one that reads a body, answers is someone's: no browser or proxy keeps it.
    static func forbidCaching(_ response: inout Response) {
        guard !response.headers.contains("cache-control") else { return }
        response.headers.add("cache-control", "no-store")
        response.headers.add("pragma", "no-cache")
    }

    /// The body as FastAPI hands it to a JSON model: parsed when the content type is JSON,
    /// missing when empty, and otherwise not an object. Unlike FastAPI, a body without a
    /// Content-Type is not JSON: a cross-site form or `fetch` without preflight sends exactly that.
    static func jsonBody(_ request: Request) throws(HTTPError) -> JSON {
        if request.body.isEmpty { throw HTTPError.validation([.missing("body")]) }
        let media = request.mediaType
        let isJSON = media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json"))
        guard isJSON else {
            return .string(String(decoding: request.body, as: UTF8.self))
        }
        do { return try JSON.parse(request.body) } catch {
            throw HTTPError.validation([.jsonInvalid(position: error.position, error: error.message)])
        }
    }

    /// Starlette's redirect_slashes target: scheme, the Host header when it is a host[:port]
    /// (else the server's own name and port), the mount prefix, the other path and the query.
    func redirectLocation(_ request: Request, path: String) -> String {
        let host = request.headers["host"].flatMap(HostHeader.validated) ?? request.serverAuthority
        var location = "\(request.scheme)://\(host)\(PercentEncoding.encodePath(request.scriptName + path))"
        if !request.rawQuery.isEmpty { location += "?" + request.rawQuery }
        return location
    }
}
