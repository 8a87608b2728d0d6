import Foundation
import Logging

/// One route of the API: the method and path, the name FastAPI would derive its
/// operationId and summary from, the security it needs and the handler.
public struct Route: Sendable {
    public typealias Handler = @Sendable (inout Context) throws -> Response

    public let method: String
    public let path: String
    /// The Python-style function name, e.g. `read_users_me`.
    public let name: String
    public let handler: Handler

    public init(_ method: String, _ path: String, name: String, handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.name = name
        self.handler = handler
    }
}

/// What a handler sees: the request (with its path parameters) and the app's services.
public struct Context {
    public var request: Request
    public let app: App
}

/// `handle(Request) -> Response`: all of Gatehouse's HTTP behaviour, free of FastCGI.
public final class App: @unchecked Sendable {
    public let config: Config
    public let logger: Logger
    let router: Router<Route>
    private var requestCounter = 0

    public init(config: Config, logger: Logger = Logger(label: "gatehouse"), routes: [Route]? = nil) {
        self.config = config
        self.logger = logger
        var router = Router<Route>()
        for route in routes ?? App.routes(config: config) { router.add(route.method, route.path, route) }
        self.router = router
    }

    public var routes: [Route] { router.entries.map(\.route) }

    public func handle(_ request: Request) -> Response {
        if request.bodyTooLarge { return HTTPError.bodyTooLarge.response }
        return route(request)
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
            var context = Context(request: request, app: self)
            context.request.pathParameters = parameters
            do {
                return try route.handler(&context)
            } catch let error as HTTPError {
                return error.response
            } catch {
                requestCounter += 1
                let id = "\(getpid())-\(requestCounter)"
                logger.error("request \(id) \(request.method) \(route.path) failed: \(error)")
                return HTTPError.internalServerError.response
            }
        }
    }

    /// Starlette's redirect_slashes target: scheme, the Host header as sent, the mount
    /// prefix, the other path and the original query.
    func redirectLocation(_ request: Request, path: String) -> String {
        let host = request.headers["host"] ?? "localhost"
        var location = "\(request.scheme)://\(host)\(PercentEncoding.encodePath(request.scriptName + path))"
        if !request.rawQuery.isEmpty { location += "?" + request.rawQuery }
        return location
    }
}
