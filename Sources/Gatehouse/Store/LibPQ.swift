import CPostgreSQL
import Glibc

/// libpq, opened with dlopen when the first PostgreSQL connection is made. Linked, it would
/// bring some twenty libraries (Kerberos, LDAP, GnuTLS…) into every process, and the dynamic
/// loader's work into every CGI request and worker start, for a store most sites never use.
/// The header's types and constants come from CPostgreSQL; its functions from here.
struct LibPQ: @unchecked Sendable {
    typealias Connection = OpaquePointer
    typealias Result = OpaquePointer

    let connectdbParams: @convention(c) (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?, Int32)
        -> Connection?
    let status: @convention(c) (Connection?) -> ConnStatusType
    let errorMessage: @convention(c) (Connection?) -> UnsafeMutablePointer<CChar>?
    let finish: @convention(c) (Connection?) -> Void
    let setNoticeProcessor: @convention(c) (Connection?, PQnoticeProcessor?, UnsafeMutableRawPointer?) -> PQnoticeProcessor?
    let reset: @convention(c) (Connection?) -> Void
    let exec: @convention(c) (Connection?, UnsafePointer<CChar>?) -> Result?
    let prepare: @convention(c) (Connection?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32, UnsafePointer<Oid>?) -> Result?
    let execPrepared: @convention(c) (Connection?, UnsafePointer<CChar>?, Int32, UnsafePointer<UnsafePointer<CChar>?>?,
                                      UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32) -> Result?
    let clear: @convention(c) (Result?) -> Void
    let resultStatus: @convention(c) (Result?) -> ExecStatusType
    let resultErrorField: @convention(c) (Result?, Int32) -> UnsafeMutablePointer<CChar>?
    let resultErrorMessage: @convention(c) (Result?) -> UnsafeMutablePointer<CChar>?
    let cmdTuples: @convention(c) (Result?) -> UnsafeMutablePointer<CChar>?
    let ntuples: @convention(c) (Result?) -> Int32
    let getisnull: @convention(c) (Result?, Int32, Int32) -> Int32
    let getvalue: @convention(c) (Result?, Int32, Int32) -> UnsafeMutablePointer<CChar>?
    let getlength: @convention(c) (Result?, Int32, Int32) -> Int32
    let consumeInput: @convention(c) (Connection?) -> Int32
    let notifies: @convention(c) (Connection?) -> UnsafeMutablePointer<PGnotify>?
    let freemem: @convention(c) (UnsafeMutableRawPointer?) -> Void

    static let soname = "libpq.so.5"
    private static let loaded: Swift.Result<LibPQ, StoreError> = Swift.Result { () throws(StoreError) in try LibPQ() }

    /// The library, loaded once per process; a clear error when it is not installed.
    static func shared() throws(StoreError) -> LibPQ { try loaded.get() }

    private init() throws(StoreError) {
        let library = try SharedLibrary(LibPQ.soname,
                                        unavailable: { StoreError.unavailable("cannot load \(LibPQ.soname) (Debian's libpq5) for a postgresql:// database: \($0)") },
                                        missing: { StoreError.unavailable("\(LibPQ.soname) has no \($0)") })
        func symbol<T>(_ name: String) throws(StoreError) -> T { try library.symbol(name) }
        connectdbParams = try symbol("PQconnectdbParams")
        status = try symbol("PQstatus")
        errorMessage = try symbol("PQerrorMessage")
        finish = try symbol("PQfinish")
        setNoticeProcessor = try symbol("PQsetNoticeProcessor")
        reset = try symbol("PQreset")
        exec = try symbol("PQexec")
        prepare = try symbol("PQprepare")
        execPrepared = try symbol("PQexecPrepared")
        clear = try symbol("PQclear")
        resultStatus = try symbol("PQresultStatus")
        resultErrorField = try symbol("PQresultErrorField")
        resultErrorMessage = try symbol("PQresultErrorMessage")
        cmdTuples = try symbol("PQcmdTuples")
        ntuples = try symbol("PQntuples")
        getisnull = try symbol("PQgetisnull")
        getvalue = try symbol("PQgetvalue")
        getlength = try symbol("PQgetlength")
        consumeInput = try symbol("PQconsumeInput")
        notifies = try symbol("PQnotifies")
        freemem = try symbol("PQfreemem")
    }
}
