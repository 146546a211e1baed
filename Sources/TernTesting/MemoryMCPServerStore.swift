import Synchronization
package import TernCore

/// An in-memory ``MCPServerStore`` with the SQL store's rules: records are validated, names are
/// unique per context, lists are in name order (by bytes), another context's server is
/// ``StoreError/notFound(_:)``, and `createdAt`/`updatedAt` are set by the store and strictly
/// increase.
///
/// It does not know which contexts exist, so unlike the SQL store it accepts any context ID in
/// ``add(_:)`` instead of throwing ``StoreError/notFound(_:)``.
package final class MemoryMCPServerStore: MCPServerStore {
    private struct State {
        var servers: [ContextID: [String: MCPServerRecord]] = [:]
        var lastTime: Int64 = 0

        mutating func nextTime(_ now: Int64) -> Int64 {
            lastTime = max(now, lastTime + 1)
            return lastTime
        }
    }

    private let state = Mutex(State())
    private let clock: any WallClock

    /// - Parameter clock: the time source for `createdAt` and `updatedAt`.
    package init(clock: any WallClock = SystemWallClock()) {
        self.clock = clock
    }

    package func servers(in context: ContextID) async throws -> [MCPServerRecord] {
        state.withLock { state in
            (state.servers[context] ?? [:]).values.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        }
    }

    package func servers(in contexts: Set<ContextID>) async throws -> [ContextID: [MCPServerRecord]] {
        state.withLock { state in
            var found: [ContextID: [MCPServerRecord]] = [:]
            for context in contexts {
                guard let servers = state.servers[context], !servers.isEmpty else { continue }
                found[context] = servers.values.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            }
            return found
        }
    }

    package func server(named name: String, in context: ContextID) async throws -> MCPServerRecord {
        try state.withLock { state in
            guard let server = state.servers[context]?[name] else { throw StoreError.notFound("MCP server '\(name)'") }
            return server
        }
    }

    package func add(_ server: MCPServerRecord) async throws -> MCPServerRecord {
        if let problem = server.validationProblem() { throw StoreError.invalid(problem) }
        let now = clock.now().microsecondsSince1970
        return try state.withLock { state in
            guard state.servers[server.contextID]?[server.name] == nil else {
                throw StoreError.conflict("MCP server '\(server.name)' already exists in this context")
            }
            if state.servers.values.contains(where: { $0.values.contains { $0.id == server.id } }) {
                throw StoreError.conflict("MCP server id \(server.id) is taken")
            }
            var stored = server
            stored.createdAt = state.nextTime(now)
            stored.updatedAt = stored.createdAt
            state.servers[server.contextID, default: [:]][server.name] = stored
            return stored
        }
    }

    package func setEnabled(_ enabled: Bool, named name: String, in context: ContextID) async throws
        -> MCPServerRecord
    {
        let now = clock.now().microsecondsSince1970
        return try state.withLock { state in
            guard var server = state.servers[context]?[name] else { throw StoreError.notFound("MCP server '\(name)'") }
            server.enabled = enabled
            server.updatedAt = state.nextTime(now)
            state.servers[context]?[name] = server
            return server
        }
    }

    package func remove(named name: String, in context: ContextID) async throws {
        try state.withLock { state in
            guard state.servers[context]?.removeValue(forKey: name) != nil else {
                throw StoreError.notFound("MCP server '\(name)'")
            }
            if state.servers[context]?.isEmpty == true { state.servers[context] = nil }
        }
    }
}
