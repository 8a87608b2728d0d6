import FuzzSupport
import Gatehouse

/// JSON bodies and token segments: whatever parses must serialise to JSON that parses again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzInput.bytes(data, size)
    guard let value = try? JSON.parse(bytes) else { return 0 }
    let written = value.bytes
    let again: JSON
    do { again = try JSON.parse(written) } catch {
        fuzzRequire(false, "written JSON does not parse: \(error.message) in \(value.text)")
        return 0
    }
    fuzzRequire(again.bytes == written, "writing is not stable: \(value.text) then \(again.text)")
    return 0
}
