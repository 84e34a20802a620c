// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swift-raft",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RaftCore", targets: ["RaftCore"]),
        .library(name: "Raft", targets: ["Raft"]),
        .library(name: "RaftTesting", targets: ["RaftTesting"]),
        .library(name: "RaftFileStore", targets: ["RaftFileStore"]),
        .library(name: "RaftNIO", targets: ["RaftNIO"]),
        .library(name: "RaftKV", targets: ["RaftKV"]),
        .executable(name: "raft-kv", targets: ["raft-kv"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        // RaftNIO: the TCP transport.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // raft-bench, raft-sim and raft-lincheck-bench.
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // RaftKV: the HTTP server (without its swift-configuration and full-Foundation traits),
        // graceful shutdown and Prometheus metrics; the HTTP client only in tests.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // `swift package generate-documentation`: the DocC guide and API reference.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "RaftCore",
            dependencies: [.product(name: "DequeModule", package: "swift-collections")]
        ),
        .target(
            name: "Raft",
            dependencies: [
                "RaftCore",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "RaftTesting",
            dependencies: ["Raft", "RaftCore", .product(name: "DequeModule", package: "swift-collections")],
            exclude: ["Simulation/README.md", "Linearizability/README.md"]
        ),
        .target(
            name: "RaftFileStore",
            dependencies: [
                "Raft",
                "RaftCore",
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "RaftNIO",
            dependencies: [
                "Raft",
                "RaftCore",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            exclude: ["Wire/README.md"]
        ),
        .target(
            name: "RaftKV",
            dependencies: [
                "Raft",
                "RaftCore",
                "RaftFileStore",
                "RaftNIO",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            exclude: ["README.md"]
        ),
        .target(
            name: "RaftChaos",
            dependencies: [
                "RaftTesting",
                "RaftCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["README.md"]
        ),
        .executableTarget(
            name: "raft-chaos",
            dependencies: ["RaftChaos", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "raft-kv",
            dependencies: ["RaftKV", .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(name: "raft-filestore-crash-helper", dependencies: ["RaftFileStore", "Raft", "RaftCore"]),
        .executableTarget(
            name: "raft-bench",
            dependencies: [
                "Raft",
                "RaftCore",
                "RaftFileStore",
                "RaftNIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .executableTarget(name: "raft-filestore-bench", dependencies: ["RaftFileStore", "Raft", "RaftCore"]),
        .executableTarget(
            name: "raft-sim",
            dependencies: [
                "RaftTesting",
                "RaftCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "raft-lincheck-bench",
            dependencies: ["RaftTesting", "RaftCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "RaftCoreTests", dependencies: ["RaftCore"]),
        .testTarget(
            name: "RaftTests",
            dependencies: [
                "Raft", "RaftCore", "RaftTesting",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // raft-sim is built next to the tests, which run it as a child process.
        .testTarget(name: "RaftTestingTests", dependencies: ["RaftTesting", "Raft", "RaftCore", "raft-sim"]),
        .testTarget(
            name: "RaftNIOTests",
            dependencies: ["RaftNIO", "RaftTesting", "RaftFileStore", "Raft", "RaftCore", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]
        ),
        .testTarget(
            name: "RaftFileStoreTests",
            dependencies: ["RaftFileStore", "RaftTesting", "Raft", "RaftCore", "raft-filestore-crash-helper"]
        ),
        .testTarget(
            name: "RaftKVTests",
            dependencies: [
                // raft-kv is built next to the tests, which run `raft-kv local` as a child process.
                "RaftKV", "raft-kv", "Raft", "RaftCore", "RaftFileStore", "RaftNIO",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // raft-chaos: its command line is parsed by the guide's test of the commands it shows.
        .testTarget(name: "RaftChaosTests", dependencies: ["RaftChaos", "raft-chaos", "RaftCore"]),
    ],
    swiftLanguageModes: [.v6]
)
