import Crypto
import Foundation
package import TernCore

/// Which MCP servers each context has: the global ones from `mcp.yaml` (every context, each
/// with its own connection) and the context's own from the store, whose secrets are opened only
/// when the pool connects.
package struct MCPServerCatalog: MCPServerDirectory {
    package let store: any MCPServerStore
    package let globals: [MCPServerDefinition]
    private let secretBox: any SecretBox
    /// Resolves `${cred:NAME}` in env and header values when a connection is made; `nil` makes
    /// a reference an error saying credentials are not configured.
    private let credentials: CredentialVault?

    package init(
        store: any MCPServerStore, globals: [MCPServerDefinition], secretBox: any SecretBox,
        credentials: CredentialVault? = nil
    ) {
        self.store = store
        self.globals = globals
        self.secretBox = secretBox
        self.credentials = credentials
    }

    /// The global servers first (in file order), then the context's own (by name).
    package func descriptors(for context: ContextID) async throws -> [MCPServerDescriptor] {
        let records = try await store.servers(in: context)
        return globals.map { descriptor(global: $0, in: context) } + records.map { descriptor(for: $0) }
    }

    /// The global definition named `name`, if there is one.
    package func global(named name: String) -> MCPServerDefinition? {
        globals.first { $0.name == name }
    }

    /// The descriptor of a stored server.
    package func descriptor(for record: MCPServerRecord) -> MCPServerDescriptor {
        let box = secretBox
        let credentials = credentials
        return MCPServerDescriptor(
            name: record.name, scope: .context, enabled: record.enabled,
            fingerprint: "\(record.id.rawValue)@\(record.updatedAt)",
            resolve: {
                try await Self.endpoint(for: record, secretBox: box).resolvingCredentials(with: credentials, in: record.contextID)
            })
    }

    /// The descriptor of a global server as `context` connects to it (its `${cred:NAME}`
    /// references resolve in that context); its fingerprint covers every field, so a changed
    /// `mcp.yaml` (after a restart) never reuses an old connection.
    package func descriptor(global definition: MCPServerDefinition, in context: ContextID) -> MCPServerDescriptor {
        let credentials = credentials
        return MCPServerDescriptor(
            name: definition.name, scope: .global, enabled: definition.enabled,
            fingerprint: "global@" + Self.fingerprint(of: definition),
            resolve: { try await Self.endpoint(for: definition).resolvingCredentials(with: credentials, in: context) })
    }

    /// The endpoint of a stored server, its sealed values opened.
    /// - Throws: ``SecretBoxError`` when a value does not open (key rotated away, tampered).
    package static func endpoint(for record: MCPServerRecord, secretBox: any SecretBox) throws -> MCPEndpoint {
        func opened(_ variables: [MCPVariable], field: MCPVariableField) throws -> [String: String] {
            var values: [String: String] = [:]
            for variable in variables {
                switch variable.value {
                case .plain(let text):
                    values[variable.name] = text
                case .sealed(let sealed):
                    let place = MCPServerRecord.secretContext(server: record.id, field: field, name: variable.name)
                    values[variable.name] = try secretBox.open(sealed, context: place)
                }
            }
            return values
        }
        switch record.transport {
        case .stdio:
            return MCPEndpoint(
                name: record.name,
                transport: .stdio(
                    command: record.command ?? "", arguments: record.arguments,
                    environment: try opened(record.environment, field: .env)))
        case .http:
            return MCPEndpoint(
                name: record.name,
                transport: .http(url: record.url ?? "", headers: try opened(record.headers, field: .header)))
        }
    }

    /// The endpoint of a definition typed or loaded in plain text.
    package static func endpoint(for definition: MCPServerDefinition) -> MCPEndpoint {
        func values(_ settings: [MCPServerDefinition.Setting]) -> [String: String] {
            Dictionary(settings.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        }
        switch definition.transport {
        case .stdio:
            return MCPEndpoint(
                name: definition.name,
                transport: .stdio(
                    command: definition.command ?? "", arguments: definition.arguments,
                    environment: values(definition.environment)))
        case .http:
            return MCPEndpoint(name: definition.name, transport: .http(url: definition.url ?? "", headers: values(definition.headers)))
        }
    }

    /// A record for `definition` in `context`, secret values sealed to their place in it.
    package func record(for definition: MCPServerDefinition, in context: ContextID) throws -> MCPServerRecord {
        let id = MCPServerID.random()
        func sealed(_ settings: [MCPServerDefinition.Setting], field: MCPVariableField) throws -> [MCPVariable] {
            try settings.map { setting in
                guard setting.secret else { return MCPVariable(name: setting.name, value: .plain(setting.value)) }
                let place = MCPServerRecord.secretContext(server: id, field: field, name: setting.name)
                return MCPVariable(name: setting.name, value: .sealed(try secretBox.seal(setting.value, context: place)))
            }
        }
        return MCPServerRecord(
            id: id, contextID: context, name: definition.name, transport: definition.transport,
            command: definition.command, arguments: definition.arguments,
            environment: try sealed(definition.environment, field: .env), url: definition.url,
            headers: try sealed(definition.headers, field: .header), enabled: definition.enabled)
    }

    private static func fingerprint(of definition: MCPServerDefinition) -> String {
        var text = "\(definition.name)\u{0}\(definition.transport.rawValue)\u{0}\(definition.command ?? "")\u{0}\(definition.url ?? "")"
        for argument in definition.arguments { text += "\u{0}a\(argument)" }
        for setting in definition.environment + definition.headers { text += "\u{0}s\(setting.name)=\(setting.value)" }
        return lowercaseHex(SHA256.hash(data: Data(text.utf8)).prefix(8))
    }
}
