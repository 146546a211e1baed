import Foundation
package import TernCore
package import TernNetwork

/// The admin side of MCP servers (admin API and CLI): definitions in the store, checked before
/// they are stored (a stdio command must exist, an HTTP URL must pass the network guard),
/// connections in the pool closed when a definition changes.
package struct MCPServerAdminService: MCPServerAdmin {
    private let catalog: MCPServerCatalog
    private let pool: MCPClientPool
    private let networkGuard: NetworkGuard

    package init(catalog: MCPServerCatalog, pool: MCPClientPool, networkGuard: NetworkGuard) {
        self.catalog = catalog
        self.pool = pool
        self.networkGuard = networkGuard
    }

    package func servers(in context: ContextID) async throws -> [MCPServerSummary] {
        await summaries(of: try await catalog.store.servers(in: context), in: context)
    }

    package func servers(in contexts: Set<ContextID>) async throws -> [ContextID: [MCPServerSummary]] {
        let records = try await catalog.store.servers(in: contexts)
        var listed: [ContextID: [MCPServerSummary]] = [:]
        for context in contexts {
            listed[context] = await summaries(of: records[context] ?? [], in: context)
        }
        return listed
    }

    /// The global servers, then the context's own `records`, with their status in the pool.
    private func summaries(of records: [MCPServerRecord], in context: ContextID) async -> [MCPServerSummary] {
        var summaries: [MCPServerSummary] = []
        for definition in catalog.globals {
            summaries.append(await summary(of: definition, in: context))
        }
        for record in records {
            summaries.append(await summary(of: record))
        }
        return summaries
    }

    package func add(_ definition: MCPServerDefinition, in context: ContextID) async throws -> MCPServerSummary {
        if catalog.global(named: definition.name) != nil {
            throw StoreError.conflict("MCP server '\(definition.name)' is defined in mcp.yaml for every context; choose another name")
        }
        let record = try catalog.record(for: definition, in: context)
        if let problem = record.validationProblem() { throw StoreError.invalid(problem) }
        switch definition.transport {
        case .stdio:
            let path = definition.environment.first { $0.name == "PATH" }?.value
            if let problem = MCPCommandResolver.problem(with: definition.command ?? "", searchPath: path) {
                throw StoreError.invalid(problem)
            }
        case .http:
            do {
                _ = try await networkGuard.authorize(definition.url ?? "")
            } catch {
                throw StoreError.invalid("url \(error)" + (error.allowListHint.map { "; \($0)" } ?? ""))
            }
        }
        let stored = try await catalog.store.add(record)
        return await summary(of: stored)
    }

    package func setEnabled(_ enabled: Bool, named name: String, in context: ContextID) async throws -> MCPServerSummary {
        try refuseGlobal(name)
        let record = try await catalog.store.setEnabled(enabled, named: name, in: context)
        await pool.invalidate(server: name, in: context)
        return await summary(of: record)
    }

    package func remove(named name: String, in context: ContextID) async throws {
        try refuseGlobal(name)
        try await catalog.store.remove(named: name, in: context)
        await pool.invalidate(server: name, in: context)
    }

    package func test(named name: String, in context: ContextID) async throws -> MCPServerTestReport {
        let descriptor: MCPServerDescriptor
        if let global = catalog.global(named: name) {
            descriptor = catalog.descriptor(global: global, in: context)
        } else {
            descriptor = catalog.descriptor(for: try await catalog.store.server(named: name, in: context))
        }
        do {
            return try await pool.probe(descriptor)
        } catch let error as MCPClientError {
            throw MCPServerUnreachable(error.description)
        } catch let error as SecretBoxError {
            throw MCPServerUnreachable("MCP server \"\(name)\": \(error)")
        } catch let error as CredentialError {
            throw MCPServerUnreachable("MCP server \"\(name)\": \(error)")
        }
    }

    private func refuseGlobal(_ name: String) throws {
        if catalog.global(named: name) != nil {
            throw StoreError.invalid("MCP server '\(name)' is defined in mcp.yaml; change it there")
        }
    }

    private func summary(of record: MCPServerRecord) async -> MCPServerSummary {
        func settings(_ variables: [MCPVariable]) -> [MCPServerSummary.Setting] {
            variables.map { variable in
                switch variable.value {
                case .plain(let text): .init(name: variable.name, value: text, secret: false)
                case .sealed: .init(name: variable.name, value: nil, secret: true)
                }
            }
        }
        return MCPServerSummary(
            name: record.name, scope: .context, transport: record.transport, command: record.command,
            arguments: record.arguments, environment: settings(record.environment), url: record.url,
            headers: settings(record.headers), enabled: record.enabled,
            status: await pool.status(of: record.name, in: record.contextID, enabled: record.enabled))
    }

    private func summary(of definition: MCPServerDefinition, in context: ContextID) async -> MCPServerSummary {
        func settings(_ values: [MCPServerDefinition.Setting]) -> [MCPServerSummary.Setting] {
            values.map { .init(name: $0.name, value: $0.secret ? nil : $0.value, secret: $0.secret) }
        }
        return MCPServerSummary(
            name: definition.name, scope: .global, transport: definition.transport, command: definition.command,
            arguments: definition.arguments, environment: settings(definition.environment), url: definition.url,
            headers: settings(definition.headers), enabled: definition.enabled,
            status: await pool.status(of: definition.name, in: context, enabled: definition.enabled))
    }
}

/// Finds a stdio server's program exactly as the spawn will (``StdioLaunch/resolve(_:path:workingDirectory:)``).
package enum MCPCommandResolver {
    /// Why `command` would not start, or `nil` when it names an executable file (a path, or a
    /// name found on `searchPath`, by default the `PATH` a server without one gets).
    package static func problem(with command: String, searchPath: String?) -> String? {
        let trimmed = command.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return "a stdio server needs a command" }
        switch StdioLaunch.resolve(trimmed, path: searchPath ?? StdioLaunch.defaultPATH, workingDirectory: nil) {
        case .success: return nil
        case .failure(let failure): return failure.reason
        }
    }
}
