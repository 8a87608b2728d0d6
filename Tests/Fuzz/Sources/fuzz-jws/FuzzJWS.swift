import FuzzSupport
import Gatehouse

/// JWS compact serialisation and JWT claims. The first byte picks what the rest is:
/// 0 a token as sent, 1 claims signed with the HMAC key, 2 claims signed with the EC key
/// (so the claim checks behind a valid signature are reached), 3 a header whose payload
/// and signature come from the HMAC key. Verifying may fail; it must never crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJWS(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzInput.bytes(data, size)
    guard let mode = bytes.first else { return 0 }
    let rest = Array(bytes.dropFirst())
    let token: String
    switch mode % 4 {
    case 1:
        token = JWS.sign(header: [("alg", "HS256"), ("typ", "JWT")], payload: rest, key: FixedKeys.hmac)
    case 2:
        token = JWS.sign(header: [("alg", "ES256"), ("kid", "ec")], payload: rest, key: FixedKeys.ec)
    case 3:
        let input = Base64.urlEncode(rest) + "." + Base64.urlEncode(Array(#"{"sub":"johndoe"}"#.utf8))
        token = input + "." + Base64.urlEncode(JWS.signature(over: Array(input.utf8), key: FixedKeys.hmac))
    default:
        token = String(decoding: rest, as: UTF8.self)
    }
    do {
        let claims = try FixedKeys.keySet.verify(token, now: FixedKeys.now)
        fuzzRequire(mode % 4 != 0 || token.utf8.count <= FixedKeys.keySet.maxTokenLength, "a token over the limit verified")
        _ = claims
    } catch {
        _ = error
    }
    _ = try? JWS.verify(token, key: FixedKeys.ec)
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzSetUp.run { _ = FixedKeys.keySet }
    return 0
}
