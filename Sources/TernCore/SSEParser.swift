import Foundation

/// One Server-Sent Event, as dispatched by ``SSEParser``.
package struct SSEEvent: Sendable, Equatable {
    /// The `event:` field of the event's block; `nil` when absent or empty (the spec's "message").
    package var event: String?
    /// The `data:` lines of the block, joined with `\n`.
    package var data: String
    /// The last event ID seen on the stream so far (it persists across events, as in the spec);
    /// `nil` when none was set or it was reset by an empty `id:` field.
    package var id: String?
    /// The reconnection time in milliseconds from a `retry:` field seen since the previous event.
    package var retry: Int?

    /// Creates an event.
    package init(event: String? = nil, data: String, id: String? = nil, retry: Int? = nil) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
    }
}

/// A byte-level Server-Sent Events parser following the WHATWG `text/event-stream` rules.
///
/// Feed it the body bytes in whatever chunks they arrive; it keeps partial lines (and partial
/// UTF-8 sequences) between calls. Lines end with `\n`, `\r\n` or `\r`, also when the `\r` and
/// `\n` arrive in different chunks. A leading byte-order mark is stripped, comment lines (`:`)
/// are ignored, and a block without `data:` lines is not dispatched.
package struct SSEParser {
    private var line: [UInt8] = []
    /// The previous byte was `\r`: a `\n` right after it belongs to the same line end.
    private var afterCarriageReturn = false
    private var atStreamStart = true
    private var dataLines: [String] = []
    private var eventType: String?
    private var lastEventID: String?
    private var pendingRetry: Int?

    /// Creates a parser at the start of a stream.
    package init() {}

    /// Parses the next bytes of the stream and returns the events they complete, in order.
    package mutating func feed(_ bytes: some Sequence<UInt8>) -> [SSEEvent] {
        var events: [SSEEvent] = []
        // Called across modules this is not specialised: iterating `bytes` one by one through
        // its generic witnesses cost more than the rest of a chunk's handling. Contiguous
        // bytes (ByteBuffer views, arrays, Data) are scanned in place, lines copied in runs.
        let scanned: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            feed(buffer, into: &events)
        }
        if scanned == nil {
            Array(bytes).withUnsafeBufferPointer { buffer in feed(buffer, into: &events) }
        }
        return events
    }

    private mutating func feed(_ buffer: UnsafeBufferPointer<UInt8>, into events: inout [SSEEvent]) {
        var index = 0
        while index < buffer.count {
            if afterCarriageReturn {
                afterCarriageReturn = false
                if buffer[index] == UInt8(ascii: "\n") {
                    index += 1
                    continue
                }
            }
            var end = index
            while end < buffer.count, buffer[end] != UInt8(ascii: "\n"), buffer[end] != UInt8(ascii: "\r") { end += 1 }
            line.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[index..<end]))
            guard end < buffer.count else { return }
            afterCarriageReturn = buffer[end] == UInt8(ascii: "\r")
            processLine(into: &events)
            index = end + 1
        }
    }

    /// Ends the stream. An unterminated last line is processed, and a last event that has data
    /// but lacks its closing blank line is dispatched (the spec discards it; servers that close
    /// right after `data: [DONE]` are common enough to be lenient). The parser is then reset.
    package mutating func finish() -> [SSEEvent] {
        var events: [SSEEvent] = []
        if !line.isEmpty { processLine(into: &events) }
        dispatch(into: &events)
        self = SSEParser()
        return events
    }

    private mutating func processLine(into events: inout [SSEEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        if atStreamStart {
            atStreamStart = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        }
        guard let first = line.first else {
            dispatch(into: &events)
            return
        }
        if first == UInt8(ascii: ":") { return }  // comment, e.g. a keep-alive

        let field: String
        let value: String
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: line[..<colon], as: UTF8.self)
            var valueStart = line.index(after: colon)
            if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") {
                valueStart = line.index(after: valueStart)
            }
            value = String(decoding: line[valueStart...], as: UTF8.self)
        } else {
            field = String(decoding: line, as: UTF8.self)
            value = ""
        }

        switch field {
        case "event":
            eventType = value.isEmpty ? nil : value
        case "data":
            dataLines.append(value)
        case "id":
            if !value.contains("\u{0}") {
                lastEventID = value.isEmpty ? nil : value
            }
        case "retry":
            if !value.isEmpty, value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let milliseconds = Int(value)
            {
                pendingRetry = milliseconds
            }
        default:
            break  // unknown fields are ignored
        }
    }

    private mutating func dispatch(into events: inout [SSEEvent]) {
        defer {
            dataLines.removeAll(keepingCapacity: true)
            eventType = nil
        }
        guard !dataLines.isEmpty else { return }
        events.append(
            SSEEvent(event: eventType, data: dataLines.joined(separator: "\n"), id: lastEventID, retry: pendingRetry))
        pendingRetry = nil
    }
}
