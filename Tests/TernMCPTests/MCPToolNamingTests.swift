import Foundation
import TernCore
import Testing

@testable import TernMCP

@Suite struct MCPToolNamingTests {
    @Test func aValidNameIsKeptAsItIs() {
        #expect(
            MCPToolNaming.exposedNames(server: "time", toolNames: ["get_current_time", "convert-time"])
                == ["time__get_current_time", "time__convert-time"])
    }

    @Test func invalidBytesBecomeUnderscoresWithAStableSuffix() throws {
        let names = MCPToolNaming.exposedNames(server: "fs", toolNames: ["read.file", "read file", "lire_fichier_é"])
        for name in names { #expect(ToolSpec.isValidName(name), "\(name)") }
        #expect(names[0].hasPrefix("fs__read_file-"))
        #expect(names[1].hasPrefix("fs__read_file-"))
        #expect(names[0] != names[1], "two tools that sanitise alike still differ")
        #expect(names[2].hasPrefix("fs__lire_fichier___-"), "é is two bytes, two underscores")
    }

    @Test func namesDoNotDependOnListOrder() {
        let tools = ["a.b", "a b", "a_b", "z", "a?b"]
        let forward = MCPToolNaming.exposedNames(server: "s", toolNames: tools)
        let backward = MCPToolNaming.exposedNames(server: "s", toolNames: tools.reversed())
        #expect(Dictionary(uniqueKeysWithValues: zip(tools, forward)) == Dictionary(uniqueKeysWithValues: zip(tools.reversed(), backward)))
        #expect(Set(forward).count == tools.count)
        #expect(forward[2] == "s__a_b", "a name that needed no change keeps it")
    }

    @Test func longNamesAreCutTo64BytesAndStayDistinct() {
        let long1 = String(repeating: "x", count: 80) + "1"
        let long2 = String(repeating: "x", count: 80) + "2"
        let names = MCPToolNaming.exposedNames(server: "server", toolNames: [long1, long2])
        #expect(names.allSatisfy { $0.utf8.count == 64 && ToolSpec.isValidName($0) })
        #expect(names[0] != names[1])
    }

    @Test func aToolLiterallyNamedLikeAnotherHashedFormStillGetsAUniqueName() {
        let hashed = MCPToolNaming.candidate(server: "s", tool: "a.b")
        let literal = String(hashed.dropFirst("s__".count))
        let names = MCPToolNaming.exposedNames(server: "s", toolNames: ["a.b", literal])
        #expect(Set(names).count == 2)
        #expect(names.allSatisfy(ToolSpec.isValidName))
    }
}

@Suite struct MCPWireTests {
    @Test func toolCallArguments_goOutWithWholeNumbersAsIntegers() throws {
        let data = MCPWire.message(
            id: .number(7), method: "tools/call",
            params: [
                "name": "add",
                "arguments": ["a": 2, "b": 2.5, "list": [1, "two"], "none": .null, "micros": 1_734_567_890_123_456],
            ])
        let text = String(decoding: data, as: UTF8.self)
        #expect(
            text
                == #"{"id":7,"jsonrpc":"2.0","method":"tools/call","params":{"arguments":{"a":2,"b":2.5,"list":[1,"two"],"micros":1734567890123456,"none":null},"name":"add"}}"#,
            "a strict integer on the server side needs 2, not 2.0, and 1734567890123456, not 1.734567890123456e+15")
        #expect(
            String(decoding: MCPWire.message(id: nil, method: "notifications/initialized", params: nil), as: UTF8.self)
                == #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
    }

    @Test func responses_carryTheResultOrTheError_andTheTransportsOwnErrorsItsDetail() {
        #expect(
            String(decoding: MCPWire.response(id: .string("a"), result: [:]), as: UTF8.self)
                == #"{"id":"a","jsonrpc":"2.0","result":{}}"#)
        #expect(
            String(decoding: MCPWire.response(id: .number(3), error: (-32601, "Method not found")), as: UTF8.self)
                == #"{"error":{"code":-32601,"message":"Method not found"},"id":3,"jsonrpc":"2.0"}"#)
        #expect(
            String(decoding: StreamableHTTPMessages.errorResponse(id: .number(4), message: "HTTP 502"), as: UTF8.self)
                == #"{"error":{"code":-32603,"data":{"detail":"HTTP 502"},"message":"HTTP 502"},"id":4,"jsonrpc":"2.0"}"#)
    }

    @Test func contentIsRenderedForTheModel() {
        let text = MCPContentRenderer.text(
            content: [
                ["type": "text", "text": "first"],
                ["type": "image", "data": "AAAA", "mimeType": "image/png"],
                ["type": "resource", "resource": ["uri": "file:///a.txt", "text": "inside"]],
                ["type": "resource", "resource": ["uri": "file:///b.bin", "mimeType": "application/x", "blob": "AAAA"]],
                ["type": "resource_link", "uri": "https://example.com/x", "name": "x", "description": "a link"],
                ["type": "hologram"],
            ],
            structured: nil)
        #expect(
            text == "first\n\n[image image/png, 3 bytes, not shown]\n\ninside\n\n"
                + "[resource file:///b.bin (application/x), binary, not shown]\n\n"
                + "[link x: https://example.com/x — a link]\n\n[hologram content, not shown]")
    }

    @Test func structuredContentIsUsedWhenThereIsNoText() {
        let text = MCPContentRenderer.text(content: [], structured: ["answer": 42])
        #expect(text == #"{"answer":42}"#)
    }

    @Test func toolsPage_readsWhatTernNeeds_andRefusesAToolWithoutAName() throws {
        let page = try MCPWire.toolsPage(
            [
                "tools": [
                    [
                        "name": "rm", "title": "Remove", "description": "Deletes",
                        "inputSchema": ["type": "object"], "annotations": ["destructiveHint": true],
                    ],
                    ["name": "bare"],
                ],
                "nextCursor": "2",
            ], server: "s")
        #expect(
            page.tools == [
                MCPToolDefinition(
                    name: "rm", title: "Remove", description: "Deletes", inputSchema: ["type": "object"],
                    destructiveHint: true),
                MCPToolDefinition(name: "bare", inputSchema: .null),
            ])
        #expect(page.next == "2")
        #expect(throws: MCPClientError.protocolViolation(server: "s", message: "tools/list lists a tool without a name string")) {
            try MCPWire.toolsPage(["tools": [["name": 3]]], server: "s")
        }
        #expect(throws: MCPClientError.protocolViolation(server: "s", message: "tools/list result has no tools array")) {
            try MCPWire.toolsPage(["tool": []], server: "s")
        }
    }

    @Test func callResult_isErrorAndMissingContent() throws {
        #expect(
            try MCPWire.callResult(["content": [["type": "text", "text": "boom"]], "isError": true], server: "s")
                == MCPCallResult(text: "boom", isError: true))
        #expect(try MCPWire.callResult([:], server: "s") == MCPCallResult(text: "", isError: false))
        #expect(throws: MCPClientError.self) { try MCPWire.callResult("text", server: "s") }
    }
}

@Suite struct MCPPoolSettingsTests {
    @Test func backoffDoublesUpToTheLimitAndJitterShortensIt() {
        let settings = MCPPoolSettings(backoffBase: .seconds(1), backoffLimit: .seconds(10))
        // Attempt n - 1 is the wait after n failures; unit 0 is the longest wait, 1 the shortest.
        #expect(settings.backoff.delay(forAttempt: 0, unit: 0) == .seconds(1))
        #expect(settings.backoff.delay(forAttempt: 1, unit: 0) == .seconds(2))
        #expect(settings.backoff.delay(forAttempt: 3, unit: 0) == .seconds(8))
        #expect(settings.backoff.delay(forAttempt: 4, unit: 0) == .seconds(10))
        #expect(settings.backoff.delay(forAttempt: 49, unit: 0) == .seconds(10))
        #expect(settings.backoff.delay(forAttempt: 1, unit: 1) == .seconds(1), "equal jitter: never below half")
    }
}
