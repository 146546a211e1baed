import Foundation
import MCP
import TernCore
import Testing

import TernMCP

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

@Suite struct MCPValueConversionTests {
    @Test func jsonRoundTripsThroughMCPValues() throws {
        let json: JSONValue = [
            "n": 3, "f": 2.5, "s": "x", "b": true, "null": .null, "list": [1, "two"], "nested": ["k": "v"],
        ]
        let mcp = json.mcpValue
        #expect(mcp.objectValue?["n"] == .int(3), "whole numbers go out as integers (JSON Schema integer)")
        #expect(mcp.objectValue?["f"] == .double(2.5))
        #expect(JSONValue(mcp: mcp) == json)
    }

    @Test func contentIsRenderedForTheModel() {
        let text = MCPContentRenderer.text(
            content: [
                .text(text: "first", annotations: nil, _meta: nil),
                .image(data: "AAAA", mimeType: "image/png", annotations: nil, _meta: nil),
                .resource(resource: .text("inside", uri: "file:///a.txt")),
                .resourceLink(uri: "https://example.com/x", name: "x", description: "a link"),
            ],
            structured: nil)
        #expect(text == "first\n\n[image image/png, 3 bytes, not shown]\n\ninside\n\n[link x: https://example.com/x — a link]")
    }

    @Test func structuredContentIsUsedWhenThereIsNoText() {
        let text = MCPContentRenderer.text(content: [], structured: .object(["answer": .int(42)]))
        #expect(text == #"{"answer":42}"#)
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
