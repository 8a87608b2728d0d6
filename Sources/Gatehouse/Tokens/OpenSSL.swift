import COpenSSL
import Glibc

/// libcrypto, opened with dlopen when the process first needs it (a MAC, a digest, a key), as
/// LibPQ opens libpq. Linked, it is loaded and relocated by every process at its start: some
/// thirty-four hundred symbol lookups and a megabyte and a half of memory in every CGI request,
/// /health included. The header's types and constants come from COpenSSL; its functions from
/// here, under their C names (`openssl.EVP_MAC_init(…)`), with the types Swift imports them with
/// (OpenSSLSymbolTableTests compiles each against the header).
struct OpenSSL: @unchecked Sendable {
    let BIO_ctrl: @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let BIO_free: @convention(c) (OpaquePointer?) -> Int32
    let BIO_new: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let BIO_new_mem_buf: @convention(c) (UnsafeRawPointer?, Int32) -> OpaquePointer?
    let BIO_s_mem: @convention(c) () -> OpaquePointer?
    let BN_bin2bn: @convention(c) (UnsafePointer<UInt8>?, Int32, OpaquePointer?) -> OpaquePointer?
    let BN_bn2binpad: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32
    let BN_free: @convention(c) (OpaquePointer?) -> Void
    let BN_num_bits: @convention(c) (OpaquePointer?) -> Int32
    let CRYPTO_memcmp: @convention(c) (UnsafeRawPointer?, UnsafeRawPointer?, Int) -> Int32
    let ECDSA_SIG_free: @convention(c) (OpaquePointer?) -> Void
    let ECDSA_SIG_get0_r: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let ECDSA_SIG_get0_s: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let ECDSA_SIG_new: @convention(c) () -> OpaquePointer?
    let ECDSA_SIG_set0: @convention(c) (OpaquePointer?, OpaquePointer?, OpaquePointer?) -> Int32
    let ERR_clear_error: @convention(c) () -> Void
    let EVP_CIPHER_CTX_ctrl: @convention(c) (OpaquePointer?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    let EVP_CIPHER_CTX_free: @convention(c) (OpaquePointer?) -> Void
    let EVP_CIPHER_CTX_new: @convention(c) () -> OpaquePointer?
    let EVP_DecryptFinal_ex: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int32>?) -> Int32
    let EVP_DecryptInit_ex: @convention(c) (OpaquePointer?, OpaquePointer?, OpaquePointer?, UnsafePointer<UInt8>?, UnsafePointer<UInt8>?) -> Int32
    let EVP_DecryptUpdate: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int32>?, UnsafePointer<UInt8>?, Int32) -> Int32
    let EVP_Digest: @convention(c) (UnsafeRawPointer?, Int, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt32>?, OpaquePointer?, OpaquePointer?) -> Int32
    let EVP_DigestSign: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int>?, UnsafePointer<UInt8>?, Int) -> Int32
    let EVP_DigestSignInit_ex: @convention(c) (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?, UnsafePointer<CChar>?, OpaquePointer?, UnsafePointer<CChar>?, OpaquePointer?, UnsafePointer<OSSL_PARAM>?) -> Int32
    let EVP_DigestVerify: @convention(c) (OpaquePointer?, UnsafePointer<UInt8>?, Int, UnsafePointer<UInt8>?, Int) -> Int32
    let EVP_DigestVerifyInit_ex: @convention(c) (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?, UnsafePointer<CChar>?, OpaquePointer?, UnsafePointer<CChar>?, OpaquePointer?, UnsafePointer<OSSL_PARAM>?) -> Int32
    let EVP_EncryptFinal_ex: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int32>?) -> Int32
    let EVP_EncryptInit_ex: @convention(c) (OpaquePointer?, OpaquePointer?, OpaquePointer?, UnsafePointer<UInt8>?, UnsafePointer<UInt8>?) -> Int32
    let EVP_EncryptUpdate: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int32>?, UnsafePointer<UInt8>?, Int32) -> Int32
    let EVP_MAC_CTX_dup: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let EVP_MAC_CTX_free: @convention(c) (OpaquePointer?) -> Void
    let EVP_MAC_CTX_new: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let EVP_MAC_fetch: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> OpaquePointer?
    let EVP_MAC_final: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int>?, Int) -> Int32
    let EVP_MAC_free: @convention(c) (OpaquePointer?) -> Void
    let EVP_MAC_init: @convention(c) (OpaquePointer?, UnsafePointer<UInt8>?, Int, UnsafePointer<OSSL_PARAM>?) -> Int32
    let EVP_MAC_update: @convention(c) (OpaquePointer?, UnsafePointer<UInt8>?, Int) -> Int32
    let EVP_MD_CTX_free: @convention(c) (OpaquePointer?) -> Void
    let EVP_MD_CTX_new: @convention(c) () -> OpaquePointer?
    let EVP_MD_fetch: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> OpaquePointer?
    let EVP_PKEY_CTX_free: @convention(c) (OpaquePointer?) -> Void
    let EVP_PKEY_CTX_new_from_name: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> OpaquePointer?
    let EVP_PKEY_CTX_set_group_name: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    let EVP_PKEY_CTX_set_rsa_keygen_bits: @convention(c) (OpaquePointer?, Int32) -> Int32
    let EVP_PKEY_CTX_set_rsa_padding: @convention(c) (OpaquePointer?, Int32) -> Int32
    let EVP_PKEY_CTX_set_rsa_pss_saltlen: @convention(c) (OpaquePointer?, Int32) -> Int32
    let EVP_PKEY_free: @convention(c) (OpaquePointer?) -> Void
    let EVP_PKEY_generate: @convention(c) (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    let EVP_PKEY_get0_type_name: @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?
    let EVP_PKEY_get_bits: @convention(c) (OpaquePointer?) -> Int32
    let EVP_PKEY_get_bn_param: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    let EVP_PKEY_get_group_name: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int, UnsafeMutablePointer<Int>?) -> Int32
    let EVP_PKEY_get_raw_public_key: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int>?) -> Int32
    let EVP_PKEY_is_a: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    let EVP_PKEY_keygen_init: @convention(c) (OpaquePointer?) -> Int32
    let EVP_PKEY_new_raw_private_key_ex: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<UInt8>?, Int) -> OpaquePointer?
    let EVP_aes_256_gcm: @convention(c) () -> OpaquePointer?
    let EVP_sha1: @convention(c) () -> OpaquePointer?
    let EVP_sha256: @convention(c) () -> OpaquePointer?
    let HMAC: @convention(c) (OpaquePointer?, UnsafeRawPointer?, Int32, UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt32>?) -> UnsafeMutablePointer<UInt8>?
    let OSSL_PARAM_construct_end: @convention(c) () -> OSSL_PARAM
    let OSSL_PARAM_construct_utf8_string: @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int) -> OSSL_PARAM
    let PEM_read_bio_PUBKEY: @convention(c) (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?, (@convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32)?, UnsafeMutableRawPointer?) -> OpaquePointer?
    let PEM_read_bio_PrivateKey: @convention(c) (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?, (@convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32)?, UnsafeMutableRawPointer?) -> OpaquePointer?
    let PEM_write_bio_PUBKEY: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32
    let PEM_write_bio_PrivateKey: @convention(c) (OpaquePointer?, OpaquePointer?, OpaquePointer?, UnsafePointer<UInt8>?, Int32, (@convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32)?, UnsafeMutableRawPointer?) -> Int32
    let d2i_ECDSA_SIG: @convention(c) (UnsafeMutablePointer<OpaquePointer?>?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, Int) -> OpaquePointer?
    let i2d_ECDSA_SIG: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32

    static let soname = "libcrypto.so.3"
    /// Debian's libssl3 is a dependency of the package: a process without it cannot do its work at all.
    static let shared: OpenSSL = {
        do { return try OpenSSL() } catch { fatalError("\(error)") }
    }()

    private struct LoadError: Error, CustomStringConvertible { var description: String }

    private init() throws {
        let library = try SharedLibrary(OpenSSL.soname,
                                        unavailable: { LoadError(description: "cannot load \(OpenSSL.soname) (Debian's libssl3): \($0)") },
                                        missing: { LoadError(description: "\(OpenSSL.soname) has no \($0)") })
        func symbol<T>(_ name: String) throws -> T { try library.symbol(name) }
        BIO_ctrl = try symbol("BIO_ctrl")
        BIO_free = try symbol("BIO_free")
        BIO_new = try symbol("BIO_new")
        BIO_new_mem_buf = try symbol("BIO_new_mem_buf")
        BIO_s_mem = try symbol("BIO_s_mem")
        BN_bin2bn = try symbol("BN_bin2bn")
        BN_bn2binpad = try symbol("BN_bn2binpad")
        BN_free = try symbol("BN_free")
        BN_num_bits = try symbol("BN_num_bits")
        CRYPTO_memcmp = try symbol("CRYPTO_memcmp")
        ECDSA_SIG_free = try symbol("ECDSA_SIG_free")
        ECDSA_SIG_get0_r = try symbol("ECDSA_SIG_get0_r")
        ECDSA_SIG_get0_s = try symbol("ECDSA_SIG_get0_s")
        ECDSA_SIG_new = try symbol("ECDSA_SIG_new")
        ECDSA_SIG_set0 = try symbol("ECDSA_SIG_set0")
        ERR_clear_error = try symbol("ERR_clear_error")
        EVP_CIPHER_CTX_ctrl = try symbol("EVP_CIPHER_CTX_ctrl")
        EVP_CIPHER_CTX_free = try symbol("EVP_CIPHER_CTX_free")
        EVP_CIPHER_CTX_new = try symbol("EVP_CIPHER_CTX_new")
        EVP_DecryptFinal_ex = try symbol("EVP_DecryptFinal_ex")
        EVP_DecryptInit_ex = try symbol("EVP_DecryptInit_ex")
        EVP_DecryptUpdate = try symbol("EVP_DecryptUpdate")
        EVP_Digest = try symbol("EVP_Digest")
        EVP_DigestSign = try symbol("EVP_DigestSign")
        EVP_DigestSignInit_ex = try symbol("EVP_DigestSignInit_ex")
        EVP_DigestVerify = try symbol("EVP_DigestVerify")
        EVP_DigestVerifyInit_ex = try symbol("EVP_DigestVerifyInit_ex")
        EVP_EncryptFinal_ex = try symbol("EVP_EncryptFinal_ex")
        EVP_EncryptInit_ex = try symbol("EVP_EncryptInit_ex")
        EVP_EncryptUpdate = try symbol("EVP_EncryptUpdate")
        EVP_MAC_CTX_dup = try symbol("EVP_MAC_CTX_dup")
        EVP_MAC_CTX_free = try symbol("EVP_MAC_CTX_free")
        EVP_MAC_CTX_new = try symbol("EVP_MAC_CTX_new")
        EVP_MAC_fetch = try symbol("EVP_MAC_fetch")
        EVP_MAC_final = try symbol("EVP_MAC_final")
        EVP_MAC_free = try symbol("EVP_MAC_free")
        EVP_MAC_init = try symbol("EVP_MAC_init")
        EVP_MAC_update = try symbol("EVP_MAC_update")
        EVP_MD_CTX_free = try symbol("EVP_MD_CTX_free")
        EVP_MD_CTX_new = try symbol("EVP_MD_CTX_new")
        EVP_MD_fetch = try symbol("EVP_MD_fetch")
        EVP_PKEY_CTX_free = try symbol("EVP_PKEY_CTX_free")
        EVP_PKEY_CTX_new_from_name = try symbol("EVP_PKEY_CTX_new_from_name")
        EVP_PKEY_CTX_set_group_name = try symbol("EVP_PKEY_CTX_set_group_name")
        EVP_PKEY_CTX_set_rsa_keygen_bits = try symbol("EVP_PKEY_CTX_set_rsa_keygen_bits")
        EVP_PKEY_CTX_set_rsa_padding = try symbol("EVP_PKEY_CTX_set_rsa_padding")
        EVP_PKEY_CTX_set_rsa_pss_saltlen = try symbol("EVP_PKEY_CTX_set_rsa_pss_saltlen")
        EVP_PKEY_free = try symbol("EVP_PKEY_free")
        EVP_PKEY_generate = try symbol("EVP_PKEY_generate")
        EVP_PKEY_get0_type_name = try symbol("EVP_PKEY_get0_type_name")
        EVP_PKEY_get_bits = try symbol("EVP_PKEY_get_bits")
        EVP_PKEY_get_bn_param = try symbol("EVP_PKEY_get_bn_param")
        EVP_PKEY_get_group_name = try symbol("EVP_PKEY_get_group_name")
        EVP_PKEY_get_raw_public_key = try symbol("EVP_PKEY_get_raw_public_key")
        EVP_PKEY_is_a = try symbol("EVP_PKEY_is_a")
        EVP_PKEY_keygen_init = try symbol("EVP_PKEY_keygen_init")
        EVP_PKEY_new_raw_private_key_ex = try symbol("EVP_PKEY_new_raw_private_key_ex")
        EVP_aes_256_gcm = try symbol("EVP_aes_256_gcm")
        EVP_sha1 = try symbol("EVP_sha1")
        EVP_sha256 = try symbol("EVP_sha256")
        HMAC = try symbol("HMAC")
        OSSL_PARAM_construct_end = try symbol("OSSL_PARAM_construct_end")
        OSSL_PARAM_construct_utf8_string = try symbol("OSSL_PARAM_construct_utf8_string")
        PEM_read_bio_PUBKEY = try symbol("PEM_read_bio_PUBKEY")
        PEM_read_bio_PrivateKey = try symbol("PEM_read_bio_PrivateKey")
        PEM_write_bio_PUBKEY = try symbol("PEM_write_bio_PUBKEY")
        PEM_write_bio_PrivateKey = try symbol("PEM_write_bio_PrivateKey")
        d2i_ECDSA_SIG = try symbol("d2i_ECDSA_SIG")
        i2d_ECDSA_SIG = try symbol("i2d_ECDSA_SIG")
    }
}

/// libcrypto's functions, loaded on first use.
var openssl: OpenSSL { OpenSSL.shared }
