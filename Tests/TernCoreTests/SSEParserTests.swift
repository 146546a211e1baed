import Testing

@testable import TernCore

struct SSEParserTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var input: [UInt8]
        var expected: [SSEEvent]
        var testDescription: String { name }

        init(_ name: String, _ input: String, _ expected: [SSEEvent]) {
            self.name = name
            self.input = Array(input.utf8)
            self.expected = expected
        }

        init(_ name: String, bytes: [UInt8], _ expected: [SSEEvent]) {
            self.name = name
            self.input = bytes
            self.expected = expected
        }
    }

    static let cases: [Case] = [
        Case("single event", "data: hello\n\n", [SSEEvent(data: "hello")]),
        Case("two events", "data: a\n\ndata: b\n\n", [SSEEvent(data: "a"), SSEEvent(data: "b")]),
        Case("data lines are joined with LF", "data: a\ndata: b\ndata: c\n\n", [SSEEvent(data: "a\nb\nc")]),
        Case("CRLF line ends", "data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n", [SSEEvent(data: "a\nb"), SSEEvent(data: "c")]),
        Case("CR line ends", "data: a\rdata: b\r\rdata: c\r\r", [SSEEvent(data: "a\nb"), SSEEvent(data: "c")]),
        Case("mixed line ends", "data: a\r\ndata: b\rdata: c\n\r\n", [SSEEvent(data: "a\nb\nc")]),
        Case(
            "comments and keep-alives are ignored", ": keep-alive\n\n:\ndata: x\n: in between\ndata: y\n\n",
            [SSEEvent(data: "x\ny")]),
        Case("field without colon is an empty value", "data\n\ndata\ndata\n\n", [SSEEvent(data: ""), SSEEvent(data: "\n")]),
        Case("only one leading space is stripped", "data:  two\ndata:none\ndata: \n\n", [SSEEvent(data: " two\nnone\n")]),
        Case(
            "event type applies to its block only", "event: ping\ndata: 1\n\ndata: 2\n\n",
            [SSEEvent(event: "ping", data: "1"), SSEEvent(data: "2")]),
        Case(
            "last event id persists", "id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n",
            [SSEEvent(data: "a", id: "7"), SSEEvent(data: "b", id: "7"), SSEEvent(data: "c")]),
        Case(
            "id with NUL is ignored", "id: 1\ndata: a\n\nid: x\u{0}y\ndata: b\n\n",
            [SSEEvent(data: "a", id: "1"), SSEEvent(data: "b", id: "1")]),
        Case("block without data is not dispatched", "event: x\nid: 1\n\ndata: y\n\n", [SSEEvent(data: "y", id: "1")]),
        Case(
            "retry goes with the next event", "retry: 3000\ndata: a\n\nretry: 3s\ndata: b\n\n",
            [SSEEvent(data: "a", retry: 3000), SSEEvent(data: "b")]),
        Case("unknown fields are ignored", "foo: bar\ndata : no\ndata: a\n\n", [SSEEvent(data: "a")]),
        Case("multi-byte UTF-8", "data: héllo 🌍 日本語\n\n", [SSEEvent(data: "héllo 🌍 日本語")]),
        Case(
            "BOM at stream start is stripped", "\u{FEFF}data: a\n\ndata: \u{FEFF}b\n\n",
            [SSEEvent(data: "a"), SSEEvent(data: "\u{FEFF}b")]),
        Case("colon inside the value is kept", "data: {\"a\":\"b: c\"}\n\n", [SSEEvent(data: "{\"a\":\"b: c\"}")]),
        Case(
            "last event without blank line is dispatched at the end", "data: 1\n\ndata: [DONE]",
            [SSEEvent(data: "1"), SSEEvent(data: "[DONE]")]),
        Case(
            "invalid UTF-8 becomes the replacement character",
            bytes: Array("data: a".utf8) + [0xFF] + Array("b\n\n".utf8), [SSEEvent(data: "a\u{FFFD}b")]),
        Case("empty stream", "", []),
        Case(
            "OpenAI-style stream",
            """
            : keep-alive

            data: {"choices":[{"delta":{"content":"Hi"}}]}

            data: {"choices":[],"usage":{"prompt_tokens":1}}

            data: [DONE]


            """,
            [
                SSEEvent(data: #"{"choices":[{"delta":{"content":"Hi"}}]}"#),
                SSEEvent(data: #"{"choices":[],"usage":{"prompt_tokens":1}}"#),
                SSEEvent(data: "[DONE]"),
            ]),
    ]

    private static func parse(_ chunks: [ArraySlice<UInt8>]) -> [SSEEvent] {
        var parser = SSEParser()
        var events: [SSEEvent] = []
        for chunk in chunks { events += parser.feed(chunk) }
        return events + parser.finish()
    }

    @Test(arguments: cases)
    func parse_wholeInput(_ testCase: Case) {
        #expect(Self.parse([testCase.input[...]]) == testCase.expected)
    }

    @Test(arguments: cases)
    func parse_splitAtEveryOffset_yieldsSameEvents(_ testCase: Case) {
        let bytes = testCase.input
        for offset in 0...bytes.count {
            let events = Self.parse([bytes[..<offset], bytes[offset...]])
            #expect(events == testCase.expected, "split at \(offset)")
        }
    }

    @Test(arguments: cases)
    func parse_splitIntoThreeAtEveryPairOfOffsets_yieldsSameEvents(_ testCase: Case) {
        let bytes = testCase.input
        for first in 0...bytes.count {
            for second in first...bytes.count {
                let events = Self.parse([bytes[..<first], bytes[first..<second], bytes[second...]])
                #expect(events == testCase.expected, "split at \(first) and \(second)")
            }
        }
    }

    @Test(arguments: cases)
    func parse_oneByteAtATime_yieldsSameEvents(_ testCase: Case) {
        let chunks = testCase.input.indices.map { testCase.input[$0...$0] }
        #expect(Self.parse(chunks) == testCase.expected)
    }

    @Test(arguments: cases)
    func parse_nonContiguousBytes_yieldsSameEvents(_ testCase: Case) {
        // A lazy map has no contiguous storage: the parser's copying path.
        var parser = SSEParser()
        let events = parser.feed(testCase.input.lazy.map { $0 }) + parser.finish()
        #expect(events == testCase.expected)
    }

    @Test func feed_returnsEventsAsSoonAsTheirBlankLineArrives() {
        var parser = SSEParser()
        #expect(parser.feed(Array("data: a\n".utf8)).isEmpty)
        #expect(parser.feed(Array("\ndata: b".utf8)) == [SSEEvent(data: "a")])
        #expect(parser.feed(Array("\n\n".utf8)) == [SSEEvent(data: "b")])
        #expect(parser.finish().isEmpty)
    }

    @Test func feed_crAtChunkEndThenLFAtNextStart_isOneLineEnd() {
        var parser = SSEParser()
        #expect(parser.feed(Array("data: a\r".utf8)).isEmpty)
        #expect(parser.feed(Array("\ndata: b\r".utf8)).isEmpty)
        #expect(parser.feed(Array("\n\r".utf8)) == [SSEEvent(data: "a\nb")])
    }

    @Test func finish_resetsTheParser() {
        var parser = SSEParser()
        _ = parser.feed(Array("id: 3\nevent: x\ndata: partial".utf8))
        #expect(parser.finish() == [SSEEvent(event: "x", data: "partial", id: "3")])
        #expect(parser.feed(Array("\u{FEFF}data: fresh\n\n".utf8)) == [SSEEvent(data: "fresh")])
    }
}
