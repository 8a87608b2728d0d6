import FuzzSupport
import Gatehouse

/// `gh_<id>_<secret>` keys: a parsed key is exactly its parts, and its secret hashes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAPIKey(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let key = String(decoding: FuzzInput.bytes(data, size), as: UTF8.self)
    guard let parsed = APIKeys.parse(key) else { return 0 }
    fuzzRequire("\(APIKeys.prefix)\(parsed.id)_\(parsed.secret)" == key, "parts that do not spell the key")
    fuzzRequire(APIKeys.secretHash(parsed.secret).count == 32, "a secret hash that is not SHA-256")
    return 0
}
