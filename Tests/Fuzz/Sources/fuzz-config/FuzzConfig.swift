import Foundation
import FuzzSupport
import Gatehouse

/// The settings file, through `Config.load(file:)` on a temp file, then what a start derives
/// from it without touching files (CORS policy, login socket). Bad settings are a ConfigError.
let configFile = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-fuzz-\(getpid()).conf").path

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    atexit { unlink(configFile) }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzInput.bytes(data, size)
    // Not atomic (no temp file, rename and sync per input): the target is the parser, not the disk.
    do { try Data(bytes).write(to: URL(fileURLWithPath: configFile)) } catch { fatalError("cannot write \(configFile): \(error)") }
    guard let config = try? Config.load(file: configFile, environment: [:]) else { return 0 }
    _ = try? CORSPolicy(config: config)
    _ = try? config.loginListenAddress()
    return 0
}
