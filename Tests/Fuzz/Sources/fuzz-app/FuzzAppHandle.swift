import FuzzSupport
import Foundation
import Gatehouse

/// GATEHOUSE_FUZZ_PRINT=1 prints each answer's status line and body, to check what a seed reaches.
let printAnswers = ProcessInfo.processInfo.environment["GATEHOUSE_FUZZ_PRINT"] != nil

/// `App.handle` over a request spelled as in FuzzRequest ($JOHN, $ROOT, $EXPIRED standing for
/// tokens of the store's sessions): whatever arrives, the answer is
/// no 5xx, headers that cannot split, and a JSON body that is JSON.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzApp(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let app = FuzzApp.next()
    let request = FuzzRequest.decode(FuzzInput.bytes(data, size), substitutions: FuzzApp.tokens)
    let response = app.handle(request)
    if printAnswers {  // on stderr, unbuffered: a crash right after must not swallow it
        fputs("\(request.method) \(request.path) -> \(response.status) \(String(decoding: response.body.prefix(200), as: UTF8.self))\n", stderr)
    }
    fuzzRequire(response.status >= 200 && response.status < 500, "status \(response.status) for \(request.method) \(request.path)")
    for (name, value) in response.headers {
        fuzzRequire(!(name + value).unicodeScalars.contains { $0 == "\r" || $0 == "\n" }, "CR/LF in response header \(name)")
    }
    if response.headers["content-type"]?.hasPrefix("application/json") == true {
        fuzzRequire((try? JSON.parse(response.body)) != nil, "a JSON answer that does not parse")
    }
    _ = response.serialized()
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    _ = FuzzApp.next()
    return 0
}
