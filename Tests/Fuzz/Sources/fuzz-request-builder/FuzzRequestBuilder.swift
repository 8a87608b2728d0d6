import FuzzSupport
import Gatehouse
import GatehouseServer

/// FastCGI params → Request: `NAME=value` lines, an empty line, then the body stream, which
/// arrives in reads of at most 7 bytes so that the read loop's edges are exercised.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestBuilder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let (head, stream) = FuzzInput.split(FuzzInput.bytes(data, size), at: Array("\n\n".utf8))
    let params = FuzzInput.lines(head).map { line in
        let (name, value) = FuzzInput.split(line, at: [UInt8(ascii: "=")])
        return (name: Latin1.string(name), value: value ?? [])
    }
    let builder = RequestBuilder(params: params, maxBodySize: 4096)
    let body = stream ?? []
    var offset = 0
    do {
        let request = try builder.build { buffer in
            let n = min(buffer.count, 7, body.count - offset)
            guard n > 0 else { return 0 }
            body.withUnsafeBytes { all in buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[offset..<(offset + n)])) }
            offset += n
            return n
        }
        fuzzRequire(request.path.hasPrefix("/"), "a path that does not start with '/'")
        fuzzRequire(request.bodyTooLarge || request.body.count <= 4096, "a body over the limit was read")
        for (name, value) in request.headers {
            fuzzRequire(!(name + value).unicodeScalars.contains { $0 == "\r" || $0 == "\n" || $0 == "\0" }, "CR/LF/NUL in a header")
        }
    } catch {
        fuzzRequire(error.status == 400, "a request error that is not a 400: \(error.status)")
    }
    return 0
}
