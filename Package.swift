// swift-tools-version:6.0
import PackageDescription

// Hot numeric code lives in Kernels and Approximators; cross-module specialisation of their
// generic and @inlinable entry points mattered 10-20x in probes (shared/reference/machine.md).
let optimised: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "magicpig",
    products: [
        .executable(name: "magicpig", targets: ["magicpig"]),
        .library(name: "Kernels", targets: ["Kernels"]),
        .library(name: "Approximators", targets: ["Approximators"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Harness", targets: ["Harness"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // System libraries at the leaves. Debian: libhdf5-dev (pkg-config hdf5-serial), libopenblas-dev.
        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),

        // Pure Swift numeric building blocks: no I/O, no C library (builds on the GPU machine).
        .target(name: "Kernels", swiftSettings: optimised),
        // One file per attention approximator behind one protocol; pure math.
        .target(name: "Approximators", dependencies: ["Kernels"], swiftSettings: optimised),
        // What comes from disk or is generated: the HDF5 capture format, synthetic captures.
        .target(name: "Datasets", dependencies: ["CHDF5", "Kernels"]),
        // Experiment configs, replay runner, metrics, sweeps, results folders, figures, benchmarks.
        .target(
            name: "Harness",
            dependencies: ["Approximators", "Datasets", "Kernels", .product(name: "Yams", package: "Yams")],
            swiftSettings: optimised),
        // The thin command line.
        .executableTarget(
            name: "magicpig",
            dependencies: ["Harness", "Datasets", "Approximators", "Kernels", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "ApproximatorsTests", dependencies: ["Approximators", "Kernels"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Kernels"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "Datasets", "Approximators"]),
        .testTarget(name: "magicpigTests", dependencies: ["magicpig"]),
    ],
    swiftLanguageModes: [.v6]
)
