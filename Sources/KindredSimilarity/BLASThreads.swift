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
