import Foundation

/// Progress and log lines, on standard error only (standard output carries the
/// run summary). Lines never include values from the input files.
public struct Log: Sendable {
    public var quiet: Bool

    public init(quiet: Bool = false) { self.quiet = quiet }

    public func info(_ message: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data("kindred: \(message)\n".utf8))
    }

    /// A progress callback that prints at most every 10%.
    public func progress(_ stage: String) -> (@Sendable (Int, Int) -> Void)? {
        guard !quiet else { return nil }
        return { done, total in
            guard total > 0 else { return }
            let step = max(1, total / 10)
            if done % step == 0 || done == total {
                FileHandle.standardError.write(Data("kindred: \(stage) \(done * 100 / total)%\n".utf8))
            }
        }
    }
}
