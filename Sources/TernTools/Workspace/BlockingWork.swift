import Foundation

/// Set when the task that started some ``BlockingWork`` is cancelled; long loops poll it.
final class CancellationFlag: @unchecked Sendable {
    // Guarded by `lock`; set from a cancellation handler, read from a Dispatch thread.
    private let lock = NSLock()
    private var cancelled = false

    /// Whether the caller was cancelled.
    var isCancelled: Bool { lock.withLock { cancelled } }

    /// Marks the caller cancelled.
    func cancel() { lock.withLock { cancelled = true } }

    /// Throws ``WorkspaceError/cancelled`` once the caller was cancelled.
    func check() throws(WorkspaceError) {
        if isCancelled { throw .cancelled }
    }
}

/// Runs blocking file system work on a Dispatch queue, so `openat`/`read` never occupy a
/// thread of Swift's cooperative pool, and passes task cancellation in as a ``CancellationFlag``.
enum BlockingWork {
    private static let queue = DispatchQueue(
        label: "tern.tools.workspace", qos: .userInitiated, attributes: .concurrent)

    /// `work`'s result, computed on the queue.
    /// - Throws: ``WorkspaceError/cancelled`` when the task is already cancelled; otherwise what
    ///   `work` throws.
    static func run<T: Sendable>(
        _ work: @escaping @Sendable (CancellationFlag) throws(WorkspaceError) -> T
    ) async throws(WorkspaceError) -> T {
        guard !Task.isCancelled else { throw .cancelled }
        let flag = CancellationFlag()
        let result: Result<T, WorkspaceError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                queue.async {
                    continuation.resume(returning: Result { () throws(WorkspaceError) -> T in try work(flag) })
                }
            }
        } onCancel: {
            flag.cancel()
        }
        return try result.get()
    }
}
