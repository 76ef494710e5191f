// swift-tools-version: 6.1
// Per-stage benchmarks of Kindred, kept out of the main package so its build
// stays light. Run: `cd benchmarks && swift package benchmark`.
import Foundation
import PackageDescription

/// The main package's identity is the name of the folder it is cloned into.
let kindred = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "KindredBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(path: ".."),
        // Only the malloc interposer trait: the default runtime-interposer
        // trait needs a package the local mirror does not carry.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "KindredBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KindredPipeline", package: kindred),
            ],
            path: "Benchmarks/KindredBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
