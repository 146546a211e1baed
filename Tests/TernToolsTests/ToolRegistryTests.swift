import Testing
import TernCore
import TernTools

private struct NamedTool: Tool {
    let spec: ToolSpec
    init(_ name: String) throws { spec = try ToolSpec(name: name, description: "test", risk: .read) }
    func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput { .text(spec.name) }
}

@Suite struct ToolRegistryTests {
    @Test func registry_leavesOutDisabledTools() async throws {
        let registry = try ToolRegistry([NamedTool("b"), NamedTool("a"), NamedTool("off")], disabled: ["off"])
        #expect(registry.names == ["a", "b"])
        #expect(registry.tool(named: "off") == nil)
        let offered = try await registry.tools(for: .defaultContext).map(\.spec.name)
        #expect(offered == ["a", "b"])
    }

    @Test func registry_rejectsDuplicateNames() throws {
        #expect(throws: ToolError.invalidSpec(name: "a", reason: "two tools are registered under this name")) {
            try ToolRegistry([NamedTool("a"), NamedTool("a")])
        }
    }

    @Test func registry_rejectsReservedNames() throws {
        #expect(throws: ToolError.self) { try ToolRegistry([NamedTool("tern_plan")]) }
    }
}
