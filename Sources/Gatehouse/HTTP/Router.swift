import FoundationEssentials
import Glibc

/// A path template such as `/users/{user_id:int}`: literal segments, `{name}` segments
/// that match one non-empty segment, and `{name:int}` ones that match digits only
/// (Starlette's convertor), so `/users/me` is not taken for a user id.
public struct PathPattern: Sendable, Equatable {
    public let template: String
    /// The template as OpenAPI writes it, without convertors.
    public var openAPIPath: String { template.replacing(":int}", with: "}") }
    let segments: [Segment]

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        case integer(String)
    }

    public init(_ template: String) {
        self.template = template
        segments = template.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            guard $0.hasPrefix("{") && $0.hasSuffix("}") else { return .literal(String($0)) }
            let inner = $0.dropFirst().dropLast()
            return inner.hasSuffix(":int") ? .integer(String(inner.dropLast(4))) : .parameter(String(inner))
        }
    }

    /// No parameter segments: only the template's own path matches.
    var isLiteral: Bool {
        segments.allSatisfy { if case .literal = $0 { return true } else { return false } }
    }

    public var parameterNames: [String] {
        segments.compactMap {
            switch $0 {
            case let .parameter(n), let .integer(n): return n
            case .literal: return nil
            }
        }
    }

    func match(_ parts: [Substring]) -> [String: String]? {
        guard parts.count == segments.count else { return nil }
        var params: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case let .literal(l): if l != part { return nil }
            case let .parameter(n):
                if part.isEmpty { return nil }
                params[n] = String(part)
            case let .integer(n):
                if part.isEmpty || !part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return nil }
                params[n] = String(part)
            }
        }
        return params
    }
}

/// Decides, for a method and a path, between a route, 405, a trailing-slash 307 and 404,
/// in Starlette's order, before any security check runs.
public struct Router<Route: Sendable>: Sendable {
    public struct Entry: Sendable {
        public let method: String
        public let pattern: PathPattern
        public let route: Route
    }

    public enum Decision {
        case matched(Route, parameters: [String: String])
        case methodNotAllowed(allow: [String])
        case redirect(path: String)
        case notFound
    }

    public private(set) var entries: [Entry] = []
    /// For each route template without parameters, the entries its path matches, in order: the
    /// request for such a path (nearly every one) is decided by one lookup instead of a match
    /// against every route.
    private var literalPaths: [String: (parts: [Substring], matching: [Int])] = [:]

    public init() {}

    public mutating func add(_ method: String, _ path: String, _ route: Route) {
        let entry = Entry(method: method.uppercased(), pattern: PathPattern(path), route: route)
        entries.append(entry)
        let index = entries.count - 1
        // The new entry joins every literal path it matches; a new literal path gets every entry that matches it.
        for (literal, known) in literalPaths where entry.pattern.match(known.parts) != nil {
            literalPaths[literal]?.matching.append(index)
        }
        if entry.pattern.isLiteral, literalPaths[path] == nil {
            let parts = Router.split(path)
            literalPaths[path] = (parts, entries.indices.filter { entries[$0].pattern.match(parts) != nil })
        }
    }

    public func decide(method: String, path: String) -> Decision {
        if let matching = literalPaths[path]?.matching {
            return entries.withUnsafeBufferPointer { entries in
                var allow: [String] = []
                for index in matching {
                    if entries[index].method == method {
                        let parameters = entries[index].pattern.isLiteral ? [:] : entries[index].pattern.match(Router.split(path)) ?? [:]
                        return .matched(entries[index].route, parameters: parameters)
                    }
                    if !allow.contains(entries[index].method) { allow.append(entries[index].method) }
                }
                return .methodNotAllowed(allow: allow)
            }
        }
        let parts = Router.split(path)
        var allow: [String] = []
        for entry in entries {
            guard let params = entry.pattern.match(parts) else { continue }
            if entry.method == method { return .matched(entry.route, parameters: params) }
            if !allow.contains(entry.method) { allow.append(entry.method) }
        }
        if !allow.isEmpty { return .methodNotAllowed(allow: allow) }
        if path != "/" {
            let other = path.hasSuffix("/") ? String(path.dropLast()) : path + "/"
            let otherParts = Router.split(other)
            if entries.contains(where: { $0.pattern.match(otherParts) != nil }) { return .redirect(path: other) }
        }
        return .notFound
    }

    static func split(_ path: String) -> [Substring] {
        Array(path.split(separator: "/", omittingEmptySubsequences: false).dropFirst())
    }
}
