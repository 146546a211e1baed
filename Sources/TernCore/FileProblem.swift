/// Something wrong in a file Tern reads (a skill, `tools.yaml`, `mcp.yaml`): where and why,
/// shown as `file:line: message` so editors and terminals can jump to it.
package struct FileProblem: Sendable, Equatable, CustomStringConvertible {
    /// The file (or folder) concerned, as given to whatever read it.
    package var file: String
    /// 1-based line in `file`, when the problem has one.
    package var line: Int?
    /// What is wrong and what was expected.
    package var message: String

    /// Builds a problem.
    package init(file: String, line: Int? = nil, message: String) {
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
