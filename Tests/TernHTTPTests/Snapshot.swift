import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TernCore
import Testing

/// Snapshot tests: what a client receives, recorded byte for byte in a file and compared exactly.
///
/// `expectSnapshot(text, named: "plain")` called from `Tests/TernHTTPTests/FooTests.swift`
/// compares `text` with `Tests/TernHTTPTests/Snapshots/FooTests/plain.txt` (found from the
/// caller's `#filePath`, so no resource bundle is involved; the folder is excluded from the
/// target in Package.swift).
///
/// - A difference fails the test and shows the first differing lines (`-` recorded, `+` now) and,
///   for long lines such as JSON bodies, the column and the text around the first difference.
/// - A missing file fails the test and says how to record it.
/// - With `TERN_RECORD_SNAPSHOTS=1` in the environment the file is (re)written and the test
///   **fails** saying so, so a recording run is never green by accident. Record on purpose, read
///   the new file in `git diff`, then run again without the variable:
///   `TERN_RECORD_SNAPSHOTS=1 swift test --skip-build --filter FooTests`.
///
/// Volatile values (random ids, wall-clock times, loopback ports) are replaced before comparing
/// by ``SnapshotScrubber``; inject fixed values instead wherever production lets a test do so.
func expectSnapshot(
    _ actual: String, named name: String, filePath: String = #filePath, sourceLocation: SourceLocation = #_sourceLocation
) {
    let caller = URL(fileURLWithPath: filePath)
    let suite = caller.deletingPathExtension().lastPathComponent
    let file = caller.deletingLastPathComponent()
        .appendingPathComponent("Snapshots").appendingPathComponent(suite).appendingPathComponent("\(name).txt")
    let relative = "Snapshots/\(suite)/\(name).txt"
    if ProcessInfo.processInfo.environment["TERN_RECORD_SNAPSHOTS"] == "1" {
        do {
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: file)
            Issue.record(
                "recorded \(relative) (TERN_RECORD_SNAPSHOTS=1); check it with git diff and run again without the variable",
                sourceLocation: sourceLocation)
        } catch {
            Issue.record("could not record \(file.path): \(error)", sourceLocation: sourceLocation)
        }
        return
    }
    guard let recorded = FileManager.default.contents(atPath: file.path) else {
        Issue.record(
            "no snapshot at \(file.path); record it with TERN_RECORD_SNAPSHOTS=1 swift test --filter \(suite)",
            sourceLocation: sourceLocation)
        return
    }
    guard recorded != Data(actual.utf8) else { return }
    Issue.record(
        """
        \(relative) differs from what the server sent now (re-record on purpose with TERN_RECORD_SNAPSHOTS=1):
        \(SnapshotDiff.describe(recorded: String(decoding: recorded, as: UTF8.self), actual: actual))
        """,
        sourceLocation: sourceLocation)
}

/// A short, readable account of where two texts part.
enum SnapshotDiff {
    /// Lines of context shown before the first difference, and differing lines shown after it.
    static let context = 3
    static let shown = 6

    static func describe(recorded: String, actual: String) -> String {
        let old = recorded.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let new = actual.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var first = 0
        while first < old.count, first < new.count, old[first] == new[first] { first += 1 }
        var lines = ["first difference at line \(first + 1) (recorded \(old.count) lines, now \(new.count)):"]
        for index in max(0, first - context)..<first { lines.append("  \(old[index])") }
        for line in old[min(first, old.count)..<min(old.count, first + shown)] { lines.append("- \(line)") }
        for line in new[min(first, new.count)..<min(new.count, first + shown)] { lines.append("+ \(line)") }
        if first < old.count, first < new.count {
            lines.append(column(old[first], new[first]))
        }
        return lines.joined(separator: "\n")
    }

    /// Where two lines part, with a window of each around it (JSON bodies are one long line).
    static func column(_ old: String, _ new: String) -> String {
        let a = Array(old)
        let b = Array(new)
        var index = 0
        while index < a.count, index < b.count, a[index] == b[index] { index += 1 }
        let start = max(0, index - 40)
        let window = { (characters: [Character]) in String(characters[min(start, characters.count)..<min(characters.count, index + 40)]) }
        return "line parts at column \(index + 1):\n  recorded: …\(window(a))…\n  now:      …\(window(b))…"
    }
}

/// Replaces the values that change from run to run with placeholders, and nothing else: each
/// rule is narrow so that a real change of what clients see still shows in the snapshot.
///
/// - UUIDs (`chatcmpl-…` ids, approval, message, user ids) become `<uuid-1>`, `<uuid-2>`, …
///   numbered by first appearance, so "every chunk has the same id" and "the approval decided is
///   the one requested" stay visible.
/// - ISO 8601 times (`2025-01-01T00:00:00Z`, stored by the database's own clock) become `<time>`.
/// - Loopback ports (`127.0.0.1:54321`, the fake model server's) become `127.0.0.1:<port>`.
/// - `: keep-alive` SSE comments are dropped: they depend on how long the machine takes, not on
///   what the server says (StreamKeepAliveTests check them).
///
/// `created` (Unix seconds) is not scrubbed: the harness injects a fixed clock
/// (``SnapshotScrubber/clock``).
enum SnapshotScrubber {
    /// The clock snapshot tests give the HTTP layer: 2023-11-14T22:13:20Z, `created` 1700000000.
    static let clock = FixedWallClock(seconds: 1_700_000_000)

    static func scrub(_ text: String) -> String {
        var numbers: [String: Int] = [:]
        let uuid = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/
        var scrubbed = text.replacing(uuid) { match in
            let value = match.output.lowercased()
            if numbers[value] == nil { numbers[value] = numbers.count + 1 }
            return "<uuid-\(numbers[value] ?? 0)>"
        }
        scrubbed.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/, with: "<time>")
        scrubbed.replace(/127\.0\.0\.1:\d+/, with: "127.0.0.1:<port>")
        scrubbed.replace(": keep-alive\n\n", with: "")
        return scrubbed
    }
}

/// A wall clock that always says the same time.
struct FixedWallClock: WallClock {
    let seconds: TimeInterval
    func now() -> Date { Date(timeIntervalSince1970: seconds) }
}

/// How a response is written into a snapshot: the status line, the headers sorted by name, a
/// blank line, then the body scrubbed by ``SnapshotScrubber``.
///
/// `date` changes every second and `content-length` follows the body (shown whole), so they are
/// left out; every other header is kept, so a header that appears or goes shows.
enum HTTPSnapshot {
    static let ignoredHeaders: Set<String> = ["date", "content-length"]

    static func render(status: Int, reason: String, headers: [(name: String, value: String)], body: String) -> String {
        let kept = headers.map { (name: $0.name.lowercased(), value: $0.value) }
            .filter { !ignoredHeaders.contains($0.name) }
            .sorted { ($0.name, $0.value) < ($1.name, $1.value) }
        let head = (["\(status) \(reason)"] + kept.map { "\($0.name): \($0.value)" }).joined(separator: "\n")
        return SnapshotScrubber.scrub(head + "\n\n" + body)
    }

    static func render(_ response: TestResponse) -> String {
        render(
            status: response.status.code, reason: response.status.reasonPhrase,
            headers: response.headers.map { (name: $0.name.canonicalName, value: $0.value) },
            body: String(buffer: response.body))
    }
}
