import TernTools

/// Why an `mcp.yaml` could not be loaded: every problem found, each with its file and line.
package struct MCPConfigFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One problem at one place; the same shape as a `tools.yaml` problem
    /// (`mcp.yaml:3: message`).
    package typealias Problem = ToolsFileError.Problem

    /// Every problem, in file order.
    package var problems: [Problem]

    /// Builds an error from its problems.
    package init(problems: [Problem]) {
        self.problems = problems
    }

    /// One problem per line.
    package var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
