/// Starlette's `CORSMiddleware` (1.10), decided once from the config: a preflight
/// answer for `OPTIONS` requests that carry `Origin` and
/// `Access-Control-Request-Method`, and headers added to every other response.
/// Header names are lowercase, as Starlette sends them over ASGI.
public struct CORSPolicy {
    /// What `cors_allow_methods = *` stands for.
    static let allMethods = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY"]
    /// Always allowed in preflights, whatever `cors_allow_headers` says.
    static let safelistedHeaders = ["Accept", "Accept-Language", "Content-Language", "Content-Type"]
    static let preflightVary =
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"

    /// False when neither origins nor a regex are configured: then the layer does nothing.
    public let isEnabled: Bool
    private let allowOrigins: Set<String>
    private let allowOriginRegex: OriginPattern?
    private let allowAllOrigins: Bool
    private let allowAllHeaders: Bool
    private let allowCredentials: Bool
    private let allowPrivateNetwork: Bool
    private let allowMethods: Set<String>
    /// Lowercased, safelisted ones included.
    private let allowHeaders: Set<String>
    /// Echo the request's origin rather than `*` in a preflight.
    private let preflightExplicitAllowOrigin: Bool
    private let simpleHeaders: [(String, String)]
    private let preflightHeaders: [(String, String)]

    public init(config: Config) throws(ConfigError) {
        allowOriginRegex = try config.corsAllowOriginRegex.map { pattern throws(ConfigError) in
            try OriginPattern(pattern)
        }
        isEnabled = !config.corsAllowOrigins.isEmpty || allowOriginRegex != nil

        let methods = config.corsAllowMethods.contains("*") ? CORSPolicy.allMethods : config.corsAllowMethods
        allowOrigins = Set(config.corsAllowOrigins)
        allowAllOrigins = config.corsAllowOrigins.contains("*")
        allowAllHeaders = config.corsAllowHeaders.contains("*")
        allowCredentials = config.corsAllowCredentials
        allowPrivateNetwork = config.corsAllowPrivateNetwork
        allowMethods = Set(methods)
        preflightExplicitAllowOrigin = !allowAllOrigins || allowCredentials

        var simple: [(String, String)] = []
        if allowAllOrigins { simple.append(("access-control-allow-origin", "*")) }
        if allowCredentials { simple.append(("access-control-allow-credentials", "true")) }
        if !config.corsExposeHeaders.isEmpty {
            simple.append(("access-control-expose-headers", config.corsExposeHeaders.joined(separator: ", ")))
        }
        simpleHeaders = simple

        // Sorted by code point and deduplicated exactly, as Python's sorted(set(...)).
        let headers = Set(CORSPolicy.safelistedHeaders + config.corsAllowHeaders)
            .sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        allowHeaders = Set(headers.map { $0.lowercased() })

        var preflight: [(String, String)] = [("vary", CORSPolicy.preflightVary)]
        if !preflightExplicitAllowOrigin { preflight.append(("access-control-allow-origin", "*")) }
        preflight.append(("access-control-allow-methods", methods.joined(separator: ", ")))
        preflight.append(("access-control-max-age", String(config.corsMaxAge)))
        if !allowAllHeaders { preflight.append(("access-control-allow-headers", headers.joined(separator: ", "))) }
        if allowCredentials { preflight.append(("access-control-allow-credentials", "true")) }
        preflightHeaders = preflight
    }

    /// The whole answer to a CORS preflight; nil for any other request, which goes on
    /// to the router (an `OPTIONS` without both headers included).
    public func preflight(_ request: Request) -> Response? {
        guard isEnabled, request.method == "OPTIONS",
            let origin = request.headers["origin"],
            let requestedMethod = request.headers["access-control-request-method"]
        else { return nil }
        let requestedHeaders = request.headers["access-control-request-headers"]

        var headers = Headers(preflightHeaders)
        var failures: [String] = []

        if isAllowed(origin: origin) {
            if preflightExplicitAllowOrigin { headers.set("access-control-allow-origin", origin) }
        } else {
            failures.append("origin")
        }

        if !allowMethods.contains(requestedMethod) { failures.append("method") }

        if let requestedHeaders {
            if allowAllHeaders {
                headers.set("access-control-allow-headers", requestedHeaders)
            } else if requestedHeaders.lowercased().split(separator: ",", omittingEmptySubsequences: false)
                .contains(where: { !allowHeaders.contains(CORSPolicy.pythonStrip($0)) })
            {
                failures.append("headers")
            }
        }

        if request.headers["access-control-request-private-network"] != nil {
            if allowPrivateNetwork {
                headers.set("access-control-allow-private-network", "true")
            } else {
                failures.append("private-network")
            }
        }

        if !failures.isEmpty {
            return .text("Disallowed CORS " + failures.joined(separator: ", "), status: 400, headers: headers)
        }
        return .text("OK", status: 200, headers: headers)
    }

    /// Adds the CORS headers to a response produced for a request that was not a
    /// preflight (errors included). Like Starlette, `Vary: Origin` is added even
    /// when the request has no `Origin`, since the answer depends on it.
    public func apply(to response: inout Response, for request: Request) {
        guard isEnabled else { return }
        guard let origin = request.headers["origin"] else {
            CORSPolicy.appendVaryOrigin(&response.headers)
            return
        }
        for (name, value) in simpleHeaders { response.headers.set(name, value) }
        if !isAllowed(origin: origin) {
            response.headers.remove("access-control-allow-origin")
        } else if !allowAllOrigins || allowCredentials {
            response.headers.set("access-control-allow-origin", origin)
        }
        CORSPolicy.appendVaryOrigin(&response.headers)
    }

    /// `null` (sandboxed frames, file: pages, some redirects) is any page at all: it is
    /// allowed only when listed by name, never by `*` or a pattern.
    func isAllowed(origin: String) -> Bool {
        if origin == "null" { return allowOrigins.contains(origin) }
        if allowAllOrigins { return true }
        if let allowOriginRegex, allowOriginRegex.matchesWhole(origin) { return true }
        return allowOrigins.contains(origin)
    }

    /// Every `Vary` field becomes one, with `Origin` appended (even when already listed).
    static func appendVaryOrigin(_ headers: inout Headers) {
        headers.set("vary", (headers.values("vary") + ["Origin"]).joined(separator: ", "))
    }

    /// Python's `str.strip()`: Unicode white space plus the separators U+001C…U+001F.
    static func pythonStrip(_ s: Substring) -> String {
        func isSpace(_ u: Unicode.Scalar) -> Bool { u.properties.isWhitespace || (0x1C...0x1F).contains(u.value) }
        let scalars = s.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isSpace($0) })!
        return String(scalars[first...last])
    }
}
