import FuzzSupport
import Gatehouse
import GatehouseServer
import Glibc

/// A web server's bytes on a FastCGI connection → FastCGIConnection → RequestBuilder → the body
/// as the app reads it, the rest of FCGI_STDIN, and the answer's records: through a socketpair
/// whose peer sent the input and shut its side, so every read ends.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFastCGI(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var fds: [Int32] = [0, 0]
    guard size <= 100_000, socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { return 0 }
    defer { close(fds[1]) }
    if let data, size > 0 { fuzzRequire(send(fds[1], data, size, Int32(MSG_NOSIGNAL)) == size, "the socket took the input") }
    shutdown(fds[1], Int32(SHUT_WR))
    let connection = FastCGIConnection()
    connection.open(fds[0])
    defer { connection.close() }
    var builder = RequestBuilder(maxBodySize: 4096)
    guard connection.readRequest() else { return 0 }
    fuzzRequire(connection.params.count <= FastCGIConnection.maxParams, "parameters over the limit were kept")
    fuzzRequire(connection.role == 1 || connection.role == 2, "a role Gatehouse does not play: \(connection.role)")
    guard connection.params.withUnsafeBytes({ builder.load(fastCGIParams: $0) }) else { return 0 }
    do {
        let request = try builder.build { connection.readInput(into: $0) }
        fuzzRequire(request.bodyTooLarge || request.body.count <= 4096, "a body over the limit was read")
    } catch {
        fuzzRequire(error.status == 400, "a request error that is not a 400: \(error.status)")
    }
    _ = connection.finishInput(limit: 1 << 20)
    connection.answer(Array("Status: 200 OK\r\n\r\n".utf8))
    return 0
}
