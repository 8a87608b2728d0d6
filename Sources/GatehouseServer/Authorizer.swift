import Gatehouse

/// The FastCGI Authorizer role (FastCGI 1.0 §6.3), as lighttpd's `"mode" => "authorizer"`
/// asks it: the request it is given is the one to protect, and the answer is `Status: 200`
/// with the identity as `Variable-…` headers (which lighttpd hands the next handler as its
/// environment) to allow, or Gatehouse's own 401 or 403, challenge included, to deny.
/// The rule is /check's: the request's `GATEHOUSE_REQUIRE` (mod_setenv, per path), else the
/// process's (`bin-environment`).
public enum Authorizer {
    public static let ruleVariable = "GATEHOUSE_REQUIRE"

    public static func respond(_ builder: RequestBuilder, app: App, defaultRule: String) -> [UInt8] {
        var request = builder.head()
        request.method = "GET"
        request.path = "/check"
        request.rawQuery = builder.value(ruleVariable).map { String(decoding: $0, as: UTF8.self) } ?? defaultRule
        request.headers.remove("content-length")
        let answer = app.handle(request)
        guard answer.status == 204 else { return answer.serialized() }
        // Written by hand: the variable's name keeps its case (Headers would lowercase it).
        var allowed = "Status: 200 OK\r\n"
        for (name, value) in answer.headers where name.hasPrefix("x-gatehouse-") || name.hasPrefix("remote-") {
            let variable = name.dropFirst(name.hasPrefix("x-") ? 2 : 0).uppercased().replacing("-", with: "_")
            allowed += "Variable-\(variable): \(value)\r\n"
        }
        allowed += "Content-Length: 0\r\n\r\n"
        return allowed.unicodeScalars.map { $0.value < 256 ? UInt8($0.value) : UInt8(ascii: "?") }
    }
}
