/// Why a YAML configuration file (`tools.yaml`, `mcp.yaml`) could not be loaded: every problem
/// found, each with its file and line, so one run reports them all.
package struct ConfigFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One problem at one place.
    package struct Problem: Equatable, Sendable, CustomStringConvertible {
        /// The file, as given to the parser.
        package var file: String
        /// 1-based line, when the problem has one.
        package var line: Int?
        /// What is wrong and what was expected.
        package var message: String

        /// Builds a problem.
        package init(file: String, line: Int?, message: String) {
            self.file = file
            self.line = line
            self.message = message
        }

        /// `tools.yaml:3: message`, or `tools.yaml: message` without a line.
        package var description: String {
            if let line { return "\(file):\(line): \(message)" }
            return "\(file): \(message)"
        }
    }

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
