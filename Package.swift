// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Gatehouse",
    products: [
        .executable(name: "gatehouse", targets: ["gatehouse"]),
        .library(name: "Gatehouse", targets: ["Gatehouse"]),
        // For Tests/Fuzz, whose request-builder target drives the FastCGI params → Request step.
        .library(name: "GatehouseServer", targets: ["GatehouseServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),
        .systemLibrary(name: "CXCrypt", pkgConfig: "libxcrypt", providers: [.apt(["libcrypt-dev"])]),
        .target(
            name: "Gatehouse",
            dependencies: [
                "CSQLite", "COpenSSL", "CArgon2", "CXCrypt",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "GatehouseServer",
            dependencies: ["Gatehouse", "CFastCGI", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "gatehouse",
            dependencies: [
                "Gatehouse", "GatehouseServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "GatehouseTests", dependencies: ["Gatehouse"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Gatehouse"], exclude: ["openapi_reference.py"]),
    ]
)
