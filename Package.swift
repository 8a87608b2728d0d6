// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Gatehouse",
    products: [
        .executable(name: "gatehouse", targets: ["gatehouse"]),
        .library(name: "Gatehouse", targets: ["Gatehouse"]),
        .library(name: "GatehouseServer", targets: ["GatehouseServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    ],
    targets: [
        // Linux calls Glibc's module leaves out (accept4, epoll, signalfd).
        .systemLibrary(name: "CSystem"),
        // libfcgi, only for the tests that hold Gatehouse's own FastCGI reader against it.
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // Types and constants only: OpenSSL.swift opens libcrypto itself, when it is first needed.
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),
        .systemLibrary(name: "CXCrypt", pkgConfig: "libxcrypt", providers: [.apt(["libcrypt-dev"])]),
        // Types and constants only: LibCurl.swift opens the library itself, when mail is first sent.
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // Types and constants only: LibPQ.swift opens the library itself, on first use.
        .systemLibrary(name: "CPostgreSQL", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CQRencode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .target(
            name: "Gatehouse",
            dependencies: [
                "CSQLite", "CPostgreSQL", "COpenSSL", "CArgon2", "CXCrypt", "CQRencode",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "GatehouseServer",
            dependencies: ["Gatehouse", "CSystem", "CCurl", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "gatehouse",
            dependencies: [
                "Gatehouse", "GatehouseServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["BuildCommit"]
        ),
        .plugin(name: "BuildCommit", capability: .buildTool()),
        // make bench's (m): one worker's request path in process, for instruction and allocation counts.
        .executableTarget(name: "gatehouse-hotpath", dependencies: ["Gatehouse", "GatehouseServer"], path: "bench/hotpath"),
        .target(name: "PostgreSQLSupport", path: "Tests/PostgreSQLSupport"),
        .testTarget(name: "GatehouseTests", dependencies: ["Gatehouse", "GatehouseServer", "PostgreSQLSupport"]),
        .testTarget(name: "GatehouseServerTests", dependencies: ["Gatehouse", "GatehouseServer", "CFastCGI"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Gatehouse", "PostgreSQLSupport"],
                    exclude: ["openapi_reference.py", "browser", "smtp_sink.py", "sendmail_relay.py"]),
    ]
)
