import Foundation

/// Writes a line to standard output at once (no buffering, so progress shows through pipes).
func out(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func microseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1_000_000 + Double(duration.components.attoseconds) / 1e12
}

func seconds(_ duration: Duration) -> String {
    String(format: "%.1f s", microseconds(duration) / 1_000_000)
}

func rate(_ rows: Int, _ duration: Duration) -> String {
    String(format: "%.0f", Double(rows) / (microseconds(duration) / 1_000_000))
}

func megabytes(_ bytes: Int64) -> String {
    String(format: "%.1f MiB", Double(bytes) / 1_048_576)
}

func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return right ? fill + text : text + fill
}
