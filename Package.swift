// swift-tools-version:6.0
import PackageDescription

import Foundation

// Release builds compile the SIMD kernels for the CPU they are built on (`-target-cpu native`):
// Swift's SIMD types then lower to AVX2/FMA or AVX-512 where the machine has them and to SSE or
// NEON where it does not, so no instruction set is ever required by the code. Without it x86-64
// builds target the 2003 baseline (SSE2, no FMA) and the kernels ran about 2x slower here.
// MAGICPIG_TARGET_CPU=portable builds for the baseline (a binary to copy to other machines);
// any other value is passed through, e.g. MAGICPIG_TARGET_CPU=haswell for AVX2 + FMA.
let targetCPU = ProcessInfo.processInfo.environment["MAGICPIG_TARGET_CPU"] ?? "native"
let cpuFlags = targetCPU == "portable" ? [] : ["-target-cpu", targetCPU]
// A portable build also selects the kernels' plain integer products over the byte multiply-adds, which need
// SSSE3 (QuantizedDot.bytePairSums).
let portableDefine: [SwiftSetting] = targetCPU == "portable" ? [.define("MAGICPIG_PORTABLE_CPU")] : []

// A native build on an x86-64 CPU may use what that CPU has beyond the instructions LLVM picks by itself, decided from
// the build machine's /proc/cpuinfo (never for a portable or named-CPU build):
// - MAGICPIG_AVX512_VNNI (avx512_vnni + avx512vl): `vpdpbusd` called directly (Kernels/ByteProducts.swift). LLVM
//   reaches it only through an intrinsic, which fails to compile for a CPU without it. No result changes (the integer
//   sums are exact either way); MAGICPIG_VNNI=off turns it off for a comparison.
// - MAGICPIG_WIDE_REGISTERS (avx512f + avx512vl: 32 vector registers of 512 bits): the gathers' tiles that keep more
//   accumulators in registers than AVX2's sixteen hold (Kernels/GroupScores.swift). Same bits either way (each
//   product and sum is the same operation in the same order); MAGICPIG_WIDE_REGISTERS=off for a comparison.
func buildMachineHas(_ wanted: [String], unless switchOff: String) -> Bool {
    guard targetCPU == "native", ProcessInfo.processInfo.environment[switchOff] != "off",
          let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
    let flags = Set(flagsLine.split(separator: " ").map(String.init))
    return wanted.allSatisfy(flags.contains)
}
#if arch(x86_64)
let vnniDefine: [SwiftSetting] = buildMachineHas(["avx512_vnni", "avx512vl"], unless: "MAGICPIG_VNNI")
    ? [.define("MAGICPIG_AVX512_VNNI", .when(configuration: .release))] : []
let wideDefine: [SwiftSetting] = buildMachineHas(["avx512f", "avx512vl"], unless: "MAGICPIG_WIDE_REGISTERS")
    ? [.define("MAGICPIG_WIDE_REGISTERS", .when(configuration: .release))] : []
#else
let vnniDefine: [SwiftSetting] = []
let wideDefine: [SwiftSetting] = []
#endif
let optimised: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"] + cpuFlags, .when(configuration: .release))]
    + portableDefine + vnniDefine + wideDefine
// The executable and the test targets are compiled for the same CPU: in a release build a kernel can be inlined into
// them (a test calling a block function, cross-module optimisation), and an intrinsic such as vpdpbusd cannot be
// compiled for the baseline CPU.
let sameCPU: [SwiftSetting] = [.unsafeFlags(cpuFlags, .when(configuration: .release))]

let package = Package(
    name: "magicpig",
    products: [
        .executable(name: "magicpig", targets: ["magicpig"]),
        .library(name: "Kernels", targets: ["Kernels"]),
        .library(name: "Approximators", targets: ["Approximators"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Harness", targets: ["Harness"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "CPUBackend", targets: ["CPUBackend"]),
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
        // BuiltinModule: `Prefetch` reaches llvm.prefetch through the Builtin module (Prefetch.swift).
        .target(name: "Kernels", swiftSettings: optimised + [.enableExperimentalFeature("BuiltinModule")]),
        // One file per attention approximator behind one protocol; pure math.
        .target(name: "Approximators", dependencies: ["Kernels"], swiftSettings: optimised),
        // What comes from disk or is generated: the HDF5 capture format, synthetic captures, RULER task
        // generators and scoring (their word list and essay haystack are resources, scripts/make_task_words.py).
        .target(name: "Datasets", dependencies: ["CHDF5", "Kernels"], resources: [.copy("Resources")]),
        // The real model: GGUF reader, dequantisers, tokenizer, transformer forward, decode loop with an
        // attention seam. Pure Swift (no HDF5, no OpenBLAS) so it builds for the GPU machine.
        .target(name: "Engine", dependencies: ["Kernels", "Approximators"], swiftSettings: optimised),
        // The compute backend that runs the engine's dense products through OpenBLAS (cblas_sgemm).
        .target(name: "CPUBackend", dependencies: ["Engine", "COpenBLAS"], swiftSettings: optimised),
        // Experiment configs, replay runner, metrics, sweeps, results folders, figures, benchmarks.
        .target(
            name: "Harness",
            dependencies: ["Approximators", "CPUBackend", "Datasets", "Engine", "Kernels", .product(name: "Yams", package: "Yams")],
            swiftSettings: optimised),
        // The thin command line.
        .executableTarget(
            name: "magicpig",
            dependencies: ["Harness", "Datasets", "Approximators", "Engine", "Kernels", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: sameCPU),

        .testTarget(name: "KernelsTests", dependencies: ["Kernels"], swiftSettings: sameCPU),
        .testTarget(name: "ApproximatorsTests", dependencies: ["Approximators", "Kernels"],
                    resources: [.copy("Fixtures")], swiftSettings: sameCPU),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Kernels"],
                    resources: [.copy("Fixtures")], swiftSettings: sameCPU),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Kernels", "Approximators"], resources: [.copy("Fixtures")], swiftSettings: sameCPU),
        .testTarget(name: "CPUBackendTests", dependencies: ["CPUBackend", "Engine"], swiftSettings: sameCPU),
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "Datasets", "Approximators", "Engine", "Kernels"], swiftSettings: sameCPU),
        .testTarget(name: "magicpigTests", dependencies: ["magicpig"], swiftSettings: sameCPU),
    ],
    swiftLanguageModes: [.v6]
)
