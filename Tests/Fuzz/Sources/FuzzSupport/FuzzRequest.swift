import Gatehouse

/// A request as fuzz bytes spell it, close to HTTP/1.1 so that seeds read like requests:
///
///     METHOD PATH[?QUERY]
///     Header-Name: value
///     …
///     (empty line)
///     body
public enum FuzzRequest {
    /// `substitutions` replace placeholders anywhere in the input, e.g. with a token.
    public static func decode(_ bytes: [UInt8], substitutions: [(placeholder: String, token: String)] = []) -> Request {
        var bytes = bytes
        for (placeholder, value) in substitutions {
            bytes = FuzzInput.replacing(Array(placeholder.utf8), with: Array(value.utf8), in: bytes)
        }
        let (head, body) = FuzzInput.split(bytes, at: Array("\n\n".utf8))
        var lines = FuzzInput.lines(head)
        let requestLine = lines.isEmpty ? [] : lines.removeFirst()
        let (method, target) = FuzzInput.split(requestLine, at: [UInt8(ascii: " ")])
        let (path, query) = FuzzInput.split(target ?? [], at: [UInt8(ascii: "?")])
        var headers = Headers()
        for line in lines {
            let (name, value) = FuzzInput.split(line, at: [UInt8(ascii: ":")])
            headers.add(Latin1.string(name), Latin1.string(value ?? []).trimmingWhitespace())
        }
        return Request(
            method: Latin1.string(method), path: String(decoding: path, as: UTF8.self),
            rawQuery: Latin1.string(query ?? []), headers: headers, body: body ?? [])
    }
}
