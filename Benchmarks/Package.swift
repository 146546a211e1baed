// swift-tools-version: 6.2
// Tern's benchmark executables, in their own package so that `swift build` of Tern and CI never
// compile them. Run them through scripts/bench-* (see docs/benchmarks.md and README.md here).
import PackageDescription

/// The directory Tern is checked out in: this file's grandparent (`<checkout>/Benchmarks/Package.swift`).
let ternDirectory = #filePath.split(separator: "/").dropLast(2).last.map(String.init) ?? ""

/// The identity SwiftPM gives Tern as a path dependency: its directory name, lowercased.
let ternIdentity = ternDirectory.lowercased()

/// The `-package-name` SwiftPM passes when it compiles Tern's modules: the identity with every
/// character outside [A-Za-z0-9_] replaced by `_`, and a leading digit too (SwiftPM's
/// `spm_mangledToC99ExtendedIdentifier`; its table also keeps letters outside ASCII).
let ternPackageName: String = {
    var scalars = ternIdentity.unicodeScalars.map { scalar -> Unicode.Scalar in
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_": scalar
        default: scalar.isASCII ? "_" : scalar
        }
    }
    if let first = scalars.first, ("0"..."9").contains(first) { scalars[0] = "_" }
    return String(String.UnicodeScalarView(scalars))
}()

/// The benchmarks read Tern's `package` declarations (stores, rigs, fakes), which only modules
/// compiled with Tern's own `-package-name` may see; the flag puts them in Tern's package.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .unsafeFlags(["-package-name", ternPackageName]),
]

/// A library product of Tern (declared in ../Package.swift for this package).
func tern(_ module: String) -> Target.Dependency {
    .product(name: module, package: ternIdentity)
}

/// One benchmark executable. `packageAccess: false`, or SwiftPM would add `-package-name
/// benchmarks` (this package's own) after the flag above, and the last one wins.
func benchmark(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: dependencies, packageAccess: false, swiftSettings: swiftSettings)
}

let package = Package(
    name: "TernBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        // Modules the benchmarks import directly; the versions match ../Package.swift.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        benchmark(
            "tern-bench",
            [
                tern("TernStore"), tern("TernCore"), tern("TernTesting"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        benchmark("tern-bench-agent", [tern("TernAgent"), tern("TernCore"), tern("TernTesting")]),
        benchmark(
            "tern-bench-web",
            [
                tern("TernTools"), tern("TernNetwork"), tern("TernCore"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        benchmark(
            "tern-bench-telegram",
            [
                tern("TernTelegram"), tern("TernAgent"), tern("TernCore"), tern("TernStore"), tern("TernTesting"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        benchmark(
            "tern-bench-memory",
            [
                tern("TernStore"), tern("TernCore"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        benchmark(
            "tern-bench-portal",
            [
                tern("TernApp"), tern("TernHTTP"), tern("TernPortal"), tern("TernStore"), tern("TernCore"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        benchmark(
            "tern-bench-pg-call",
            [
                tern("TernStore"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        benchmark(
            "tern-bench-mcp",
            [
                tern("TernMCP"), tern("TernTools"), tern("TernNetwork"), tern("TernCore"),
                .product(name: "Logging", package: "swift-log"),
            ]),
    ]
)
