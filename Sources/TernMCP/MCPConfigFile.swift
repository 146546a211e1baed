import Foundation
import TernConfigFiles
package import TernCore

/// The global MCP servers file, `mcp.yaml`: servers every context gets, each context with its
/// own connection.
///
/// ```yaml
/// servers:
///   time:                       # server name: 1-32 letters, digits, '_' or '-'
///     command: python3          # stdio
///     args: ["-m", "mcp_server_time", "--local-timezone", "UTC"]
///     env:                      # only these variables reach the process (plus a minimal PATH)
///       TZ: UTC
///       API_TOKEN: ${TIME_API_TOKEN}   # taken from Tern's environment at load time
///     secret_env: [API_TOKEN]   # optional: values never shown by list/diagnostics
///     enabled: true             # optional, default true
///   search:
///     url: https://mcp.example.com/mcp   # streamable HTTP
///     headers:
///       Authorization: Bearer ${SEARCH_TOKEN}
///     secret_headers: [Authorization]
/// ```
///
/// - A server has exactly one of `command` (stdio) and `url` (http); `args` and `env` go with
///   `command`, `headers` with `url`.
/// - `args` is a list of scalars, `env` and `headers` map names to scalars; scalars are taken as
///   text (`8080` is `"8080"`).
/// - In the values of `env` and `headers`, `${NAME}` (NAME matching `[A-Za-z_][A-Za-z0-9_]*`)
///   is replaced by Tern's environment variable NAME when the file is loaded; a variable that is
///   not set is a problem. In every text value `$$` is a literal `$`, and any other `$` stays as
///   it is.
/// - A value that took anything from `${NAME}` is secret, as are those named by `secret_env` and
///   `secret_headers` (which must name keys of `env` and `headers`). Secrets are never shown by
///   list or diagnostics; `command`, `args` and `url` are, so `${NAME}` there is a problem.
/// - An empty file (or only comments, or no `servers:`) means no servers.
package enum MCPConfigFile {
    /// The top-level keys an `mcp.yaml` may have.
    package static let topLevelKeys = ["servers"]
    /// The keys a server entry may have.
    package static let serverKeys = [
        "command", "args", "env", "secret_env", "url", "headers", "secret_headers", "enabled",
    ]

    /// Parses the text of an `mcp.yaml`, expanding `${NAME}` from `environment`.
    /// - Parameter file: the name used in problems, usually the path.
    /// - Returns: the servers in file order.
    /// - Throws: ``MCPConfigFileError`` listing every problem with its line: bad YAML, unknown
    ///   keys, wrong types, invalid or duplicate server names, unset variables, secret names that
    ///   are not keys, servers that ``MCPServerRecord/validationProblem()`` refuses.
    package static func parse(
        _ yaml: String, file: String, environment: [String: String]
    ) throws(MCPConfigFileError) -> [MCPServerDefinition] {
        var parser = MCPConfigFileParser(file: file, environment: environment)
        let servers = parser.parse(yaml)
        guard parser.problems.isEmpty else {
            // A server's own problems (such as a missing command) are found after its keys';
            // report them all in line order.
            let ordered = parser.problems.all.enumerated().sorted {
                ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset)
            }
            throw MCPConfigFileError(problems: ordered.map(\.element))
        }
        return servers
    }

    /// Reads and parses the file at `path`. Called only when the file exists or was configured
    /// explicitly, so a missing file is a problem.
    /// - Throws: ``MCPConfigFileError`` when the file is missing, cannot be read or does not parse.
    package static func load(
        path: String, environment: [String: String]
    ) throws(MCPConfigFileError) -> [MCPServerDefinition] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw MCPConfigFileError(problems: [.init(file: path, line: nil, message: "file not found")])
        }
        return try parse(ConfigFileError.readText(of: path), file: path, environment: environment)
    }
}
