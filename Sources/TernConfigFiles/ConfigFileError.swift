import Foundation
package import TernCore

/// Why a YAML configuration file (`tools.yaml`, `mcp.yaml`) could not be loaded: every problem
/// found, each with its file and line, so one run reports them all.
package struct ConfigFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One problem at one place.
    package typealias Problem = FileProblem

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

    /// The UTF-8 text of the file at `path`.
    /// - Throws: a `cannot read: …` problem for `path` (including when it does not exist).
    package static func readText(of path: String) throws(ConfigFileError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigFileError(problems: [
                .init(file: path, line: nil, message: "cannot read: \(error.localizedDescription)")
            ])
        }
    }
}
