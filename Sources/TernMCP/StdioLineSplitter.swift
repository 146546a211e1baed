import Foundation

/// Cuts a byte stream that arrives in arbitrary chunks into lines ending in `\n` (a trailing `\r`
/// is dropped too). Blank lines are skipped. Used for a stdio server's stdout (one JSON-RPC message
/// per line) and stderr (one log line per line).
struct StdioLineSplitter: Sendable {
    /// What to do with a line longer than the limit.
    enum Overflow: Sendable {
        /// Throw ``LineTooLong`` (a JSON-RPC message that large is not accepted).
        case fail
        /// Keep the first `limit` bytes and drop the rest of the line.
        case truncate
    }

    /// A line grew past the limit (only with ``Overflow/fail``).
    struct LineTooLong: Error, Equatable {
        /// The limit, in bytes.
        var limit: Int
    }

    /// A finished line and whether bytes of it were dropped.
    struct Line: Sendable, Equatable {
        /// The line without its terminator.
        var bytes: Data
        /// Whether the line was longer than the limit and cut.
        var truncated: Bool
    }

    /// Longest line kept, in bytes, without its terminator.
    let limit: Int
    /// What happens to longer lines.
    let overflow: Overflow
    private var pending = Data()
    private var pendingTruncated = false

    /// A splitter for lines of at most `limit` bytes.
    init(limit: Int, overflow: Overflow) {
        self.limit = limit
        self.overflow = overflow
    }

    /// Adds a chunk and returns the lines it completed, in order.
    mutating func append(_ chunk: UnsafeRawBufferPointer) throws(LineTooLong) -> [Line] {
        var lines: [Line] = []
        var start = chunk.startIndex
        while start < chunk.endIndex {
            let rest = UnsafeRawBufferPointer(rebasing: chunk[start...])
            guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else {
                try keep(rest)
                break
            }
            try keep(UnsafeRawBufferPointer(rebasing: rest[..<newline]))
            if let line = takeLine() { lines.append(line) }
            start += newline - rest.startIndex + 1
        }
        return lines
    }

    /// Adds a chunk given as `Data` (convenience for tests).
    mutating func append(_ chunk: Data) throws(LineTooLong) -> [Line] {
        var result: Result<[Line], LineTooLong> = .success([])
        chunk.withUnsafeBytes { buffer in
            result = Result { () throws(LineTooLong) in try append(buffer) }
        }
        return try result.get()
    }

    /// The last line when the stream ends without a final newline, if it is not blank.
    mutating func finish() -> Line? {
        takeLine()
    }

    private mutating func keep(_ bytes: UnsafeRawBufferPointer) throws(LineTooLong) {
        guard !bytes.isEmpty else { return }
        let room = limit - pending.count
        if bytes.count <= room {
            pending.append(contentsOf: bytes)
            return
        }
        switch overflow {
        case .fail:
            throw LineTooLong(limit: limit)
        case .truncate:
            if room > 0 { pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.startIndex + room)])) }
            pendingTruncated = true
        }
    }

    private mutating func takeLine() -> Line? {
        defer {
            pending.removeAll(keepingCapacity: true)
            pendingTruncated = false
        }
        var bytes = pending
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        let blank = bytes.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
        return blank ? nil : Line(bytes: Data(bytes), truncated: pendingTruncated)
    }
}
