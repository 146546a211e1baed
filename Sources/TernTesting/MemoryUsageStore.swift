package import Foundation
import Synchronization
package import TernCore

/// An in-memory ``UsageStore`` with the SQL store's sums: a total covers every record of the
/// context at or after the date, and is estimated when any of them was.
///
/// It does not know which contexts or conversations exist, so unlike the SQL store it accepts
/// any IDs in ``record(_:)`` instead of throwing ``StoreError/notFound(_:)``.
package final class MemoryUsageStore: UsageStore {
    private let records = Mutex<[UsageRecord]>([])

    /// An empty store.
    package init() {}

    package func record(_ record: UsageRecord) async throws {
        records.withLock { $0.append(record) }
    }

    package func total(in context: ContextID, since date: Date) async throws -> TokenUsage? {
        records.withLock { records in
            records.filter { $0.contextID == context && $0.createdAt >= date }.map(\.usage).reduce(nil) {
                total, usage in total.map { $0 + usage } ?? usage
            }
        }
    }

    /// Every record stored, in order, for tests that check what was recorded.
    package var all: [UsageRecord] {
        records.withLock { $0 }
    }
}
