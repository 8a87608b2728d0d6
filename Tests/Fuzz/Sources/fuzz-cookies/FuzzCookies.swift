import FuzzSupport
import Gatehouse

/// Cookie headers, one per line, as Request.cookies reads them (the API key cookie's way in).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCookies(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let lines = FuzzInput.lines(FuzzInput.bytes(data, size))
    let request = Request(method: "GET", path: "/users/me/", headers: Headers(lines.map { ("Cookie", Latin1.string($0)) }))
    let jar = request.cookies
    let chunks = lines.reduce(0) { total, line in total + line.count(where: { $0 == UInt8(ascii: ";") }) + 1 }
    fuzzRequire(jar.count <= chunks, "more cookies than ';'-separated chunks")
    _ = APIKeyScheme(.cookie, name: "api_key").credential(in: request)
    return 0
}
