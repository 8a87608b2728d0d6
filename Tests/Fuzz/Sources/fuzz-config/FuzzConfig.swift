import Foundation
import FuzzSupport
import Gatehouse

/// The settings file, through `Config.load(file:)` on a temp file, then what a start derives
/// from it without touching files (CORS policy, login socket). Bad settings are a ConfigError.
let configFile = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-fuzz-\(getpid()).conf").path

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzInput.bytes(data, size)
    guard FileManager.default.createFile(atPath: configFile, contents: Data(bytes)) else {
        fatalError("cannot write \(configFile)")
    }
    defer { unlink(configFile) }
    guard let config = try? Config.load(file: configFile, environment: [:]) else { return 0 }
    _ = try? CORSPolicy(config: config)
    _ = try? config.loginListenAddress()
    return 0
}
