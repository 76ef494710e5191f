// swift-tools-version: 6.0
// The target graph is the architecture: each pipeline stage is one target, and a
// stage imports only the stages before it. See docs/Architecture.md.
import PackageDescription

let package = Package(
    name: "Kindred",
    products: [
        .executable(name: "kindred", targets: ["kindred"]),
        .library(name: "KindredPipeline", targets: ["KindredPipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries, each behind its own module so only the stage that needs it links it.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libblas-dev", "libopenblas0-pthread"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite",
                       providers: [.apt(["libsqlite3-dev"])]),
        // A header-only software prefetch (no library), for one hot loop.
        .systemLibrary(name: "CPrefetch", path: "Sources/CPrefetch"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto",
                       providers: [.apt(["libssl-dev"])]),
        // The dense kernel with the threshold test in registers (AVX2 + FMA, chosen at run time).
        .target(name: "CFusedKernel"),

        // Plain value types shared by every stage; imports nothing.
        .target(name: "KindredCore"),
        // CSV and config reading, validation, rejects; the inputs' SHA-256 (libcrypto).
        .target(name: "KindredIngest", dependencies: ["KindredCore", "CCrypto"]),
        // TF-IDF and the other feature blocks, as one weighted dense matrix.
        .target(name: "KindredVectorize", dependencies: ["KindredCore", "CPrefetch"]),
        // Blocked sgemm + fused top-k under the hard rules.
        .target(name: "KindredSimilarity", dependencies: ["KindredCore", "KindredVectorize", "CBLAS", "CFusedKernel"]),
        // Assignments, peer pairs, groups, unmatched reasons.
        .target(name: "KindredDecide", dependencies: ["KindredCore"]),
        // SQLite and JSON writers.
        .target(name: "KindredExport", dependencies: ["KindredCore", "CSQLite"]),
        // The nightly job wired together, plus the synthetic generator and the bench.
        .target(name: "KindredPipeline", dependencies: [
            "KindredCore", "KindredIngest", "KindredVectorize", "KindredSimilarity",
            "KindredDecide", "KindredExport", "CBLAS",
        ]),
        // Thin command line.
        .executableTarget(name: "kindred", dependencies: [
            "KindredPipeline", "KindredSimilarity",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "KindredTests", dependencies: [
            "KindredCore", "KindredIngest", "KindredVectorize", "KindredSimilarity",
            "KindredDecide", "KindredExport", "KindredPipeline", "kindred", "CFusedKernel",
        ], exclude: ["Fixtures"]),
    ]
)
