import Foundation
package import Logging
package import TernCore

/// One tool of an MCP server, in the agent's hands: named `<server>__<tool>` (see
/// ``MCPToolNaming``), described and typed as the server says, risk `external` — or
/// `dangerous` when the server marks it destructive. Annotations are hints: the context's
/// permissions and skill ceilings still decide whether it may run.
package struct MCPTool: TernCore.Tool {
    package let spec: ToolSpec
    /// The server's own name for the tool.
    package let serverToolName: String
    /// The server in Tern's configuration.
    package let serverName: String
    /// The context whose connection serves calls.
    package let contextID: ContextID
    private let pool: MCPClientPool

    /// The agent's tools for `tools` of `server`. A tool whose schema is unusable (not an
    /// object schema) is left out and logged, never offered half-described.
    package static func adapt(
        _ tools: [MCPToolDefinition], server: String, context: ContextID, pool: MCPClientPool, logger: Logger
    ) -> [MCPTool] {
        let names = MCPToolNaming.exposedNames(server: server, toolNames: tools.map(\.name))
        return zip(tools, names).compactMap { tool, name in
            let risk: ToolRisk = tool.destructiveHint == true ? .dangerous : .external
            let description = [tool.title, tool.description].compactMap { $0 }.filter { !$0.isEmpty }
                .joined(separator: ": ")
            do {
                let spec = try ToolSpec(
                    name: name, description: description.isEmpty ? "\(tool.name) (from MCP server \(server))" : description,
                    inputSchema: tool.inputSchema, risk: risk)
                return MCPTool(spec: spec, serverToolName: tool.name, serverName: server, contextID: context, pool: pool)
            } catch {
                logger.warning(
                    "MCP tool left out: unusable spec",
                    metadata: ["mcp_server": "\(server)", "tool": "\(tool.name)", "error": "\(error)"])
                return nil
            }
        }
    }

    /// Calls the tool on the server. The server's `isError` results reach the model as errors;
    /// a server that cannot be reached throws ``ToolError/failed(tool:message:)`` naming it.
    package func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        guard context.contextID == contextID else {
            // The agent asks per context; this is a second lock on the tenant door.
            throw ToolError.notAllowed(tool: spec.name, reason: "belongs to another context")
        }
        let arguments = input.objectValue
        do {
            let result = try await pool.call(
                server: serverName, tool: serverToolName, arguments: arguments, in: contextID)
            return result.isError ? .error(result.text) : .text(result.text)
        } catch let error as MCPClientError {
            throw ToolError.failed(tool: spec.name, message: error.description)
        }
    }
}
