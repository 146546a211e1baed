import Foundation

/// How Tern talks to an MCP server.
package enum MCPTransportKind: String, Sendable, Codable, CaseIterable {
    /// A local process speaking JSON-RPC lines on stdin/stdout.
    case stdio
    /// A remote server speaking MCP "Streamable HTTP".
    case http
}

/// One environment variable (stdio) or header (HTTP) of a stored server definition.
/// Secret values are stored sealed; plain ones as they are.
package struct MCPVariable: Sendable, Equatable, Codable {
    /// The variable or header name.
    package var name: String
    /// The value, plain or sealed.
    package var value: Value

    /// A plain or sealed value.
    package enum Value: Sendable, Equatable {
        case plain(String)
        case sealed(SealedSecret)
    }

    /// Builds a variable.
    package init(name: String, value: Value) {
        self.name = name
        self.value = value
    }

    /// Whether the value is a secret (never shown, never logged).
    package var isSecret: Bool {
        if case .sealed = value { return true }
        return false
    }

    private enum CodingKeys: String, CodingKey {
        case name, value
        case keyID = "key_id"
        case sealed
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        if let combined = try container.decodeIfPresent(Data.self, forKey: .sealed) {
            value = .sealed(SealedSecret(keyID: try container.decode(String.self, forKey: .keyID), combined: combined))
        } else {
            value = .plain(try container.decode(String.self, forKey: .value))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        switch value {
        case .plain(let text):
            try container.encode(text, forKey: .value)
        case .sealed(let secret):
            try container.encode(secret.keyID, forKey: .keyID)
            try container.encode(secret.combined, forKey: .sealed)
        }
    }
}

/// A context's MCP server as stored in table `mcp_servers`. Secret values stay sealed here;
/// they are opened only when the server is spawned or connected.
package struct MCPServerRecord: Sendable, Equatable {
    package var id: MCPServerID
    package var contextID: ContextID
    /// Unique in its context; matches ``MCPServerName/isValid(_:)``.
    package var name: String
    package var transport: MCPTransportKind
    /// stdio: the program to run (a path or a name looked up on `PATH`).
    package var command: String?
    /// stdio: its arguments.
    package var arguments: [String]
    /// stdio: the only environment variables the process gets (besides a minimal `PATH`).
    package var environment: [MCPVariable]
    /// http: the endpoint URL.
    package var url: String?
    /// http: headers sent with every request (e.g. `Authorization`).
    package var headers: [MCPVariable]
    package var enabled: Bool
    /// Microseconds since 1970; set by the store.
    package var createdAt: Int64
    /// Microseconds since 1970; set by the store on every change. The client pool reconnects
    /// when it changes.
    package var updatedAt: Int64

    package init(
        id: MCPServerID = .random(), contextID: ContextID, name: String, transport: MCPTransportKind,
        command: String? = nil, arguments: [String] = [], environment: [MCPVariable] = [],
        url: String? = nil, headers: [MCPVariable] = [], enabled: Bool = true,
        createdAt: Int64 = 0, updatedAt: Int64 = 0
    ) {
        self.id = id
        self.contextID = contextID
        self.name = name
        self.transport = transport
        self.command = command
        self.arguments = arguments
        self.environment = environment
        self.url = url
        self.headers = headers
        self.enabled = enabled
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Where a sealed variable's value belongs, authenticated with its ciphertext so it opens
    /// nowhere else: `mcp_servers/<id>/env/<NAME>` or `mcp_servers/<id>/header/<Name>`.
    package static func secretContext(server: MCPServerID, field: MCPVariableField, name: String) -> String {
        "mcp_servers/\(server.rawValue)/\(field.rawValue)/\(name)"
    }

    /// Checks what the store cannot express as constraints: the name, the transport's required
    /// fields, variable names. Returns the first problem, phrased for the person who typed it.
    package func validationProblem() -> String? {
        if let problem = MCPServerName.problem(with: name) { return problem }
        switch transport {
        case .stdio:
            guard let command, !command.trimmingCharacters(in: .whitespaces).isEmpty else {
                return "a stdio server needs a command"
            }
            if url != nil { return "a stdio server takes a command, not a url" }
            if !headers.isEmpty { return "a stdio server takes environment variables, not headers" }
        case .http:
            guard let url, !url.isEmpty else { return "an http server needs a url" }
            if command != nil || !arguments.isEmpty { return "an http server takes a url, not a command" }
            if !environment.isEmpty { return "an http server takes headers, not environment variables" }
        }
        for variable in environment where !MCPServerName.isValidVariableName(variable.name) {
            return "environment variable name '\(variable.name)' must match [A-Za-z_][A-Za-z0-9_]*"
        }
        for header in headers where !MCPServerName.isValidHeaderName(header.name) {
            return "header name '\(header.name)' is not a valid HTTP header name"
        }
        if let duplicate = Self.firstDuplicate(environment.map(\.name)) {
            return "environment variable '\(duplicate)' is given twice"
        }
        if let duplicate = Self.firstDuplicate(headers.map { $0.name.lowercased() }) {
            return "header '\(duplicate)' is given twice"
        }
        return nil
    }

    private static func firstDuplicate(_ names: [String]) -> String? {
        var seen: Set<String> = []
        for name in names where !seen.insert(name).inserted { return name }
        return nil
    }
}

/// Which list a variable belongs to, for its secret context.
package enum MCPVariableField: String, Sendable {
    case env, header
}

/// Rules for MCP server names and their variables.
package enum MCPServerName {
    /// Server names are short so `<server>__<tool>` leaves room for the tool name in 64 bytes.
    package static let maximumLength = 32

    /// Why `name` is not a valid server name, or `nil`.
    package static func problem(with name: String) -> String? {
        guard (1...maximumLength).contains(name.utf8.count), name.utf8.allSatisfy(ToolSpec.isNameByte) else {
            return "server name '\(name)' must be 1 to \(maximumLength) letters, digits, '_' or '-'"
        }
        if name.contains("__") {
            return "server name '\(name)' must not contain '__' (it separates server and tool in tool names)"
        }
        if name.lowercased().hasPrefix("tern") {
            return "server name '\(name)' must not start with 'tern' (reserved for Tern's own tools)"
        }
        return nil
    }

    /// Whether `name` is a valid server name.
    package static func isValid(_ name: String) -> Bool { problem(with: name) == nil }

    /// Whether `name` has the form of an MCP tool's agent name, `<server>__<tool>` with a valid
    /// server name. Such tools exist only once their server answers, so a skill may name them
    /// before that; the skill ceiling still allows exactly the names listed.
    package static func isMCPToolName(_ name: String) -> Bool {
        guard ToolSpec.isValidName(name), let separator = name.range(of: "__") else { return false }
        return isValid(String(name[..<separator.lowerBound])) && separator.upperBound < name.endIndex
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`.
    package static func isValidVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "-"), !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { return false }
        return name.utf8.allSatisfy { ToolSpec.isNameByte($0) && $0 != UInt8(ascii: "-") }
    }

    /// An RFC 9110 token: visible ASCII except separators.
    package static func isValidHeaderName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                default:
                    "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
    }
}

/// Per-context MCP server definitions (table `mcp_servers`). Every call is scoped to a context;
/// another context's server is "not found".
package protocol MCPServerStore: Sendable {
    /// The context's servers, ordered by name.
    func servers(in context: ContextID) async throws -> [MCPServerRecord]
    /// The servers of each of `contexts` in one read (a page that lists many contexts), each
    /// context's ordered by name; a context without servers has no entry, and an empty set
    /// reads nothing.
    func servers(in contexts: Set<ContextID>) async throws -> [ContextID: [MCPServerRecord]]
    /// One server by name.
    /// - Throws: ``StoreError/notFound(_:)``.
    func server(named name: String, in context: ContextID) async throws -> MCPServerRecord
    /// Stores a new server; the store sets `createdAt`/`updatedAt` and returns the stored record.
    /// - Throws: ``StoreError/invalid(_:)`` (see ``MCPServerRecord/validationProblem()``),
    ///   ``StoreError/conflict(_:)`` when the context already has a server of that name,
    ///   ``StoreError/notFound(_:)`` for an unknown context.
    func add(_ server: MCPServerRecord) async throws -> MCPServerRecord
    /// Enables or disables a server; returns the updated record.
    /// - Throws: ``StoreError/notFound(_:)``.
    func setEnabled(_ enabled: Bool, named name: String, in context: ContextID) async throws -> MCPServerRecord
    /// Deletes a server.
    /// - Throws: ``StoreError/notFound(_:)``.
    func remove(named name: String, in context: ContextID) async throws
}
