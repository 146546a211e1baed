package import TernConfigFiles

/// Why a `tools.yaml` could not be loaded: every problem found, each with its file and line.
package typealias ToolsFileError = ConfigFileError
