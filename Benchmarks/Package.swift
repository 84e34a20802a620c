// swift-tools-version:6.1
import PackageDescription

// Micro-benchmarks of the engine's hot paths, in a package of their own so that building or
// testing the library never builds the benchmark toolchain (as swift-nio does).
//
//     cd Benchmarks && swift package benchmark
let package = Package(
    name: "swift-raft-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-raft", path: ".."),
        // MallocInterposer instead of the default RuntimeInterposer trait, whose package is
        // not available offline (see notes/swift-performance.md §1).
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "EngineBenchmarks",
            dependencies: [
                .product(name: "RaftCore", package: "swift-raft"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/EngineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
