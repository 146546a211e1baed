package import TernConfigFiles

/// Why an `mcp.yaml` could not be loaded: every problem found, each with its file and line
/// (`mcp.yaml:3: message`), the same shape as a `tools.yaml` problem.
package typealias MCPConfigFileError = ConfigFileError
