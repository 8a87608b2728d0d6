import FuzzSupport
import Gatehouse

/// The body of `application/x-www-form-urlencoded`, as the login form arrives.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFormURLEncoded(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = FuzzInput.bytes(data, size)
    let request = Request(
        method: "POST", path: "/token", headers: Headers([("Content-Type", "application/x-www-form-urlencoded")]),
        body: body)
    do {
        let form = try Form.parse(request)
        fuzzRequire(form.fields.count <= Form.maxFields, "more fields than the limit")
        let ampersands = body.count(where: { $0 == UInt8(ascii: "&") })
        fuzzRequire(form.fields.count <= ampersands + 1, "more fields than '&'-separated segments")
    } catch {
        fuzzRequire(error.status == 400, "a form error that is not a 400: \(error.status)")
    }
    return 0
}
