package import Foundation
import Synchronization
package import TernCore

/// An in-memory ``InstanceStore``; ``MemoryApprovalStore`` reads it to tell orphaned requests.
/// Times are kept in microseconds, as the SQL store keeps them.
package final class MemoryInstanceStore: InstanceStore {
    private let lastSeen = Mutex<[InstanceID: Int64]>([:])

    package init() {}

    package func beat(_ instance: InstanceID, at time: Date) async throws {
        lastSeen.withLock { $0[instance] = time.microsecondsSince1970 }
    }

    package func remove(_ instance: InstanceID) async throws {
        _ = lastSeen.withLock { $0.removeValue(forKey: instance) }
    }

    package func prune(notSeenSince cutoff: Date) async throws -> Int {
        let limit = cutoff.microsecondsSince1970
        return lastSeen.withLock { seen in
            let stale = seen.filter { $0.value < limit }.map(\.key)
            for id in stale { seen.removeValue(forKey: id) }
            return stale.count
        }
    }

    /// When `instance` last beat, in microseconds since 1970; `nil` when it has no row.
    func lastSeen(_ instance: InstanceID) -> Int64? {
        lastSeen.withLock { $0[instance] }
    }
}
