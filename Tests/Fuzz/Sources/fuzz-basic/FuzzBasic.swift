import FuzzSupport
import Gatehouse

/// The Authorization header as HTTPBasic, HTTPBearer and OAuth2PasswordBearer each read it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBasic(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let value = Latin1.string(FuzzInput.bytes(data, size))
    let request = Request(method: "GET", path: "/users/me/", headers: Headers([("Authorization", value)]))
    let stored = request.headers["authorization"] ?? ""
    switch HTTPBasic(realm: "fuzz").credential(in: request) {
    case let .basic(username, password)?:
        fuzzRequire(!username.contains(":"), "a username with ':' (the split is at the first one)")
        fuzzRequire((username + password).unicodeScalars.allSatisfy(\.isASCII), "a non-ASCII Basic credential")
        fuzzRequire(stored.lowercased().hasPrefix("basic"), "Basic credentials without the Basic scheme")
    case .malformed?, nil:
        break
    case let other?:
        fuzzRequire(false, "HTTPBasic returned \(other)")
    }
    _ = HTTPBearer().credential(in: request)
    // "Bearer " gives an empty token, as FastAPI's does; the verifier refuses it.
    if case let .bearerToken(token)? = OAuth2PasswordBearer().credential(in: request) {
        fuzzRequire(stored.lowercased().hasPrefix("bearer"), "a bearer token without the Bearer scheme")
        fuzzRequire(!token.hasPrefix(" ") && !token.hasSuffix(" "), "a bearer token with spaces around it")
    }
    return 0
}
