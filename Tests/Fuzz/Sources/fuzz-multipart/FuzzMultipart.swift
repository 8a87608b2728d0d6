import FuzzSupport
import Gatehouse

/// `multipart/form-data`: the first line is the Content-Type (boundary included), the rest the body.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let (contentType, body) = FuzzInput.split(FuzzInput.bytes(data, size), at: [UInt8(ascii: "\n")])
    let request = Request(
        method: "POST", path: "/token", headers: Headers([("Content-Type", Latin1.string(contentType))]),
        body: body ?? [])
    do {
        let form = try Form.parse(request)
        fuzzRequire(form.fields.count <= Form.maxFields, "more fields than the limit")
        for (_, value) in form.fields {
            if case let .file(_, _, bytes) = value { fuzzRequire(bytes.count <= request.body.count, "a part larger than its body") }
        }
    } catch {
        fuzzRequire(error.status == 400, "a form error that is not a 400: \(error.status)")
    }
    return 0
}
