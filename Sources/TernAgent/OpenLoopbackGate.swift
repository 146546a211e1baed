package import Foundation
import Synchronization
package import TernCore

/// Whether a server without configured keys (`TERN_API_KEYS`, `TERN_TRUSTED_PROXY_KEYS`) still lets
/// keyless callers act as the local admin.
///
/// Open only while nobody has claimed the server: once any stored API key or any user other than
/// the built-in local one exists, keyless requests need a key, unless `TERN_OPEN_LOOPBACK=true`
/// keeps the server open on purpose. Checked at most once per ``recheckInterval`` while open, so a
/// keyless request may still pass for up to that long after the first key or user is created;
/// once closed it stays closed for the life of the process (revoking every key does not reopen it).
package final class OpenLoopbackGate: Sendable {
    /// How a keyless request is treated now.
    package enum Mode: String, Sendable, Equatable {
        /// `TERN_OPEN_LOOPBACK=true`: keyless callers are the local admin, always.
        case openByConfiguration = "open loopback (TERN_OPEN_LOOPBACK=true)"
        /// No key or user yet: keyless callers are the local admin until one exists.
        case openUntilClaimed = "open loopback until the first API key or user is created"
        /// Keyless callers are refused.
        case keysRequired = "keys required"
    }

    /// How long an "open" answer is trusted before the stores are asked again.
    package static let recheckInterval: TimeInterval = 5

    private enum State {
        case unchecked
        case open(checkedAt: Date)
        case closed
    }

    private let openByConfiguration: Bool
    private let tenants: any TenantStore
    private let keys: any APIKeyStore
    private let clock: any WallClock
    private let state = Mutex<State>(.unchecked)

    /// - Parameter openByConfiguration: `TERN_OPEN_LOOPBACK=true`.
    package init(openByConfiguration: Bool, tenants: any TenantStore, keys: any APIKeyStore, clock: any WallClock) {
        self.openByConfiguration = openByConfiguration
        self.tenants = tenants
        self.keys = keys
        self.clock = clock
    }

    /// The current mode; asks the stores only when the last "open" answer is older than
    /// ``recheckInterval``.
    package func mode() async throws -> Mode {
        if openByConfiguration { return .openByConfiguration }
        let now = clock.now()
        let cached: Mode? = state.withLock { state in
            switch state {
            case .closed: .keysRequired
            case .open(let checkedAt) where now.timeIntervalSince(checkedAt) < Self.recheckInterval: .openUntilClaimed
            case .open, .unchecked: nil
            }
        }
        if let cached { return cached }
        var claimed = try await !keys.keys(of: nil).isEmpty
        if !claimed { claimed = try await tenants.users().contains { $0.id != .localUser } }
        state.withLock { $0 = claimed ? .closed : .open(checkedAt: now) }
        return claimed ? .keysRequired : .openUntilClaimed
    }
}
