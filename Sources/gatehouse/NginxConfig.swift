import FoundationEssentials
import Glibc
import Gatehouse

/// What doctor needs from nginx's whole configuration as `nginx -T` prints it (every
/// included file inlined): the workers' user, and each location that passes requests to a
/// given socket with the prefix its `fastcgi_split_path_info` cuts off.
struct NginxConfig {
    /// A directive: its words, and its block's directives when it has one.
    struct Directive {
        var words: [String]
        var block: [Directive]?
        var name: String { words.first ?? "" }
    }

    /// A location that reaches Gatehouse's socket.
    struct Mount {
        /// `location`'s path (`/auth/`, or `/auth/metrics` for `location = …`).
        var path: String
        /// The first group of the split regex (`/auth` of `^(?s)(/auth)(/.*)$`); nil without one.
        var splitPrefix: String?
    }

    let directives: [Directive]

    init(text: String) {
        var tokens = NginxConfig.tokens(text)[...]
        directives = NginxConfig.parse(&tokens)
    }

    /// Runs `binary -T` (with `-c conf` when given); nil with nginx's complaint when it fails.
    static func read(binary: String, conf: String?) -> Result<NginxConfig, DoctorProblem> {
        let result: Subprocess.Result
        do { result = try Subprocess.run(binary, ["-T"] + (conf.map { ["-c", $0] } ?? [])) } catch {
            return .failure(DoctorProblem("cannot run \(binary): \(error)"))
        }
        guard result.status == 0 else {
            let message = String(decoding: result.errors, as: UTF8.self).trimmingUnicodeWhitespace()
            return .failure(DoctorProblem("\(binary) -T failed: \(message)"))
        }
        let text = result.output
        return .success(NginxConfig(text: String(decoding: text, as: UTF8.self)))
    }

    /// The `user` of the main context (nobody when absent, nginx's built-in default).
    var workerUser: String {
        directives.first { $0.name == "user" && $0.words.count >= 2 }?.words[1] ?? "nobody"
    }

    /// Every location in which some directive names `unix:<socket>`, with the split prefix in force there.
    func mounts(reaching socket: String) -> [Mount] {
        var found: [Mount] = []
        func mentions(_ block: [Directive]) -> Bool {
            block.contains { d in d.name != "location" && (d.words.contains { $0.contains("unix:" + socket) } || mentions(d.block ?? [])) }
        }
        func walk(_ block: [Directive], split: String?) {
            for d in block {
                guard let inner = d.block else { continue }
                if d.name == "location", let path = d.words.last, d.words.count >= 2 {
                    let own = inner.first { $0.name == "fastcgi_split_path_info" }.flatMap { $0.words.count > 1 ? $0.words[1] : nil }
                    let inForce = own.map(NginxConfig.firstGroup) ?? split
                    if mentions(inner) { found.append(Mount(path: path, splitPrefix: inForce)) }
                    walk(inner, split: inForce)
                } else {
                    walk(inner, split: split)
                }
            }
        }
        walk(directives, split: nil)
        return found
    }

    /// `/auth` of `^(?s)(/auth)(/.*)$`.
    static func firstGroup(_ regex: String) -> String {
        var rest = Substring(regex)
        if rest.hasPrefix("^") { rest = rest.dropFirst() }
        if rest.hasPrefix("(?s)") { rest = rest.dropFirst(4) }
        guard rest.hasPrefix("("), let close = rest.firstIndex(of: ")") else { return regex }
        return String(rest[rest.index(after: rest.startIndex)..<close])
    }

    /// Words, quoted strings, `{`, `}` and `;`, without comments.
    static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var quote: Character?
        var comment = false
        for character in text {
            if comment {
                if character == "\n" { comment = false }
                continue
            }
            if let open = quote {
                if character == open { quote = nil; tokens.append(current); current = "" } else { current.append(character) }
                continue
            }
            switch character {
            case "#" where current.isEmpty: comment = true
            case "\"", "'": quote = character
            case "{", "}", ";":
                if !current.isEmpty { tokens.append(current); current = "" }
                tokens.append(String(character))
            case " ", "\t", "\n", "\r":
                if !current.isEmpty { tokens.append(current); current = "" }
            default: current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    static func parse(_ tokens: inout ArraySlice<String>) -> [Directive] {
        var block: [Directive] = []
        var words: [String] = []
        while let token = tokens.popFirst() {
            switch token {
            case ";": if !words.isEmpty { block.append(Directive(words: words, block: nil)) }; words = []
            case "{": block.append(Directive(words: words, block: parse(&tokens))); words = []
            case "}": return block
            default: words.append(token)
            }
        }
        return block
    }
}
