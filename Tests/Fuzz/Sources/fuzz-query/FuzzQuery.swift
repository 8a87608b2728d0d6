import FuzzSupport
import Gatehouse

/// QUERY_STRING as Request.query reads it, and percent-decoding on its own.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQuery(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzInput.bytes(data, size)
    let request = Request(method: "GET", path: "/check", rawQuery: Latin1.string(bytes))
    let query = request.query
    let ampersands = request.rawQuery.utf8.count(where: { $0 == UInt8(ascii: "&") })
    fuzzRequire(query.pairs.count <= ampersands + 1, "more pairs than '&'-separated segments")
    for (name, _) in query.pairs { fuzzRequire(query.first(name) != nil, "a pair whose name does not look up") }
    let text = String(decoding: bytes, as: UTF8.self)
    let decoded = PercentEncoding.decode(text)
    fuzzRequire(decoded.utf8.count <= text.utf8.count * 3, "decoding grew the text more than U+FFFD can")
    let encoded = PercentEncoding.encodePath(decoded)
    fuzzRequire(PercentEncoding.decode(encoded) == decoded, "encodePath does not decode back")
    return 0
}
