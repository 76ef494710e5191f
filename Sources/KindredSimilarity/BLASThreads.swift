#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Controls the BLAS library's own thread pool, when it has one.
///
/// The engine runs one single-threaded `sgemm` per worker (so block geometry,
/// and so every float, is the same for any thread count); an OpenBLAS pool on
/// top would oversubscribe the cores. OpenBLAS is found with `dlsym`, so the
/// binary still runs against the reference BLAS, BLIS or MKL behind
/// `libblas.so.3`.
public enum BLASThreads {
    private typealias SetThreads = @convention(c) (Int32) -> Void
    private typealias GetThreads = @convention(c) () -> Int32

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        let handle = dlopen(nil, RTLD_NOW)
        defer { if let handle { dlclose(handle) } }
        return dlsym(handle, name)
    }

    /// Sets the BLAS pool size; returns false when the library has no such knob.
    @discardableResult
    public static func set(_ count: Int) -> Bool {
        guard let p = symbol("openblas_set_num_threads") else { return false }
        unsafeBitCast(p, to: SetThreads.self)(Int32(count))
        return true
    }

    /// The BLAS pool size, or `nil` when unknown.
    public static func current() -> Int? {
        guard let p = symbol("openblas_get_num_threads") else { return nil }
        return Int(unsafeBitCast(p, to: GetThreads.self)())
    }

    /// OpenBLAS's kernel family (`openblas_get_corename`, e.g. "Haswell"),
    /// or nil for another BLAS.
    public static var openBLASCore: String? {
        guard let p = symbol("openblas_get_corename") else { return nil }
        typealias Name = @convention(c) () -> UnsafePointer<CChar>?
        return unsafeBitCast(p, to: Name.self)().map { String(cString: $0) }
    }

    /// OpenBLAS families with AVX2 and FMA kernels (0.3.21 to 0.3.28).
    static let avx2Families: Set<String> = ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"]

    /// A warning when OpenBLAS runs kernels without AVX2 on a CPU that has
    /// it, else nil. OpenBLAS picks its kernels when it loads, from the CPU
    /// model; a model newer than the library falls back to old SSE3 kernels
    /// ("Prescott"). Seen here: Debian 12's OpenBLAS 0.3.21 on a 2-core Xeon
    /// with AVX-512 ran `sgemm` at 66 GFLOP/s at the core's shapes, 280 with
    /// `OPENBLAS_CORETYPE=SkylakeX` (benchmarks/README.md). The variable must
    /// be set before the process starts, so the engine can only say so.
    public static var coreWarning: String? {
        guard let core = openBLASCore, FusedScratch.isSupported, !avx2Families.contains(core.lowercased()) else { return nil }
        let suggested = FusedScratch.isAVX512Supported ? "SkylakeX" : "Haswell"
        return "OpenBLAS runs its \(core) kernels on a CPU with AVX2\(FusedScratch.isAVX512Supported ? " and AVX-512" : ""): "
            + "it did not recognise the CPU, and sgemm runs far below the machine's speed; "
            + "set OPENBLAS_CORETYPE=\(suggested) in the environment"
    }

    /// A short name of the BLAS implementation in use.
    public static var implementation: String {
        if let p = symbol("openblas_get_config") {
            typealias Config = @convention(c) () -> UnsafePointer<CChar>?
            if let s = unsafeBitCast(p, to: Config.self)() { return "OpenBLAS (\(String(cString: s)))" }
            return "OpenBLAS"
        }
        if symbol("bli_info_get_version_str") != nil { return "BLIS" }
        if symbol("mkl_get_version") != nil { return "MKL" }
        return "reference BLAS (or unknown)"
    }
}
