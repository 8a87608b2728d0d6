// swift-tools-version:5.4
// The libFuzzer targets, kept out of the main package's build: `make fuzz` builds them with
// `-sanitize=fuzzer,address -parse-as-library` into .build-fuzz (see Tests/Fuzz/run).
// Tools version 5.4 on purpose: from 5.5 on, SwiftPM links an executable with main renamed to
// `<module>_main`, which a libFuzzer target does not have (libFuzzer brings main).
import PackageDescription

/// One executable per parser; each folder Sources/fuzz-<name> holds one LLVMFuzzerTestOneInput.
let fuzzTargets = [
    "form-urlencoded", "multipart", "query", "cookies", "json", "basic", "jws", "apikey", "config",
    "request-builder", "app", "fastcgi",
]

let package = Package(
    name: "GatehouseFuzz",
    dependencies: [
        .package(name: "Gatehouse", path: "../.."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "Gatehouse", package: "Gatehouse"),
                .product(name: "GatehouseServer", package: "Gatehouse"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ] + fuzzTargets.map { name in
        .executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzSupport"], path: "Sources/fuzz-\(name)")
    }
)
