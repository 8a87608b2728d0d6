// swift-tools-version:6.0
// A site's own server built on Gatehouse: its routes behind Gatehouse's security, served by
// the same prefork/FastCGI/CGI machinery.
import PackageDescription

let package = Package(
    name: "ProtectedReports",
    dependencies: [.package(name: "Gatehouse", path: "../..")],
    targets: [
        .executableTarget(
            name: "protected-reports",
            dependencies: [
                .product(name: "Gatehouse", package: "Gatehouse"),
                .product(name: "GatehouseServer", package: "Gatehouse"),
            ],
            path: "Sources/ProtectedReports"
        ),
    ]
)
