import Foundation
package import TernCore

/// The tools a client offers (OpenAI `tools`), as the model sees them next to Tern's own.
///
/// Tern's names win a clash: a client tool whose name is taken by one of the context's tools
/// (or reserved, `tern_…`) is offered as `client_<name>`, and its calls go back to the client
/// under the original name. A clash that renaming cannot settle is refused
/// (``AgentError/clientTools(_:)``, a 400 naming the tool).
struct ClientToolSet: Sendable {
    /// The prefix of a renamed client tool.
    static let renamePrefix = "client_"

    /// No client tools.
    static let empty = ClientToolSet()

    private init() {
        offered = []
        clientNames = [:]
    }

    /// Definitions as offered to the model.
    let offered: [ToolDefinition]
    /// Offered name → the client's name.
    private let clientNames: [String: String]

    /// - Parameters:
    ///   - tools: the client's tools; with `choice == .none` none are offered.
    ///   - taken: names of Tern's tools offered in the same call.
    init(_ tools: [ToolDefinition], choice: ToolChoice?, taken: Set<String>) throws(AgentError) {
        guard choice != ToolChoice.none else {
            offered = []
            clientNames = [:]
            return
        }
        let clientOwn = Set(tools.map(\.name))
        var offered: [ToolDefinition] = []
        var names: [String: String] = [:]
        for tool in tools {
            var name = tool.name
            if taken.contains(name) || name.hasPrefix("tern_") {
                name = Self.renamePrefix + tool.name
                guard name.utf8.count <= 64, !taken.contains(name), !clientOwn.contains(name) else {
                    throw .clientTools(
                        "the tool '\(tool.name)' clashes with a tool of Tern's and cannot be renamed to '\(name)'; "
                            + "rename it in the client")
                }
            }
            var definition = tool
            definition.name = name
            offered.append(definition)
            names[name] = tool.name
        }
        self.offered = offered
        clientNames = names
    }

    var isEmpty: Bool { offered.isEmpty }

    /// Whether the model's call goes to the client.
    func isClient(_ offeredName: String) -> Bool { clientNames[offeredName] != nil }

    /// The call under the client's own name.
    func toClient(_ call: ToolCall) -> ToolCall {
        var call = call
        call.name = clientNames[call.name] ?? call.name
        return call
    }

    /// The `tool_choice` for the model: a named client tool under its offered name.
    func modelChoice(_ choice: ToolChoice?) -> ToolChoice? {
        guard case .function(let name) = choice else { return choice }
        return .function(clientNames.first { $0.value == name }?.key ?? name)
    }
}

/// A round of tool calls that ended a turn because some of them are the client's to run.
///
/// Stored in the assistant message's `tool_data` under ``key``, so that when the client sends
/// its results the model gets the whole round back: every call (Tern's and the client's, by the
/// names the model used) and the results of Tern's calls, which the client never saw.
package struct ClientRound: Sendable, Equatable {
    /// The `tool_data` key.
    package static let key = "client_round"

    /// The text the model wrote with the calls.
    package var content: String
    /// Every call of the round, in the model's order, under the names the model used.
    package var calls: [ToolCall]
    /// The calls that go to the client, under the client's names.
    package var clientCalls: [ToolCall]
    /// Outputs of Tern's calls in the round, by call id.
    package var ternResults: [String: String]

    var json: JSONValue {
        .object([
            "content": .string(content),
            "calls": .array(calls.map { .object(["id": .string($0.id), "name": .string($0.name), "arguments": .string($0.arguments)]) }),
            "client_call_ids": .array(clientCalls.map { .string($0.id) }),
            "tern_results": .object(ternResults.mapValues(JSONValue.string)),
        ])
    }

    /// Reads the round back from a stored message's `tool_data`; `nil` if it holds none.
    init?(toolData: String?) {
        guard let toolData,
            let root = try? JSONValue(parsing: toolData),  // not ours if it does not parse
            let object = root[Self.key]?.objectValue,
            let calls = object["calls"]?.arrayValue
        else { return nil }
        self.content = object["content"]?.stringValue ?? ""
        self.calls = calls.compactMap { call in
            guard let id = call["id"]?.stringValue, let name = call["name"]?.stringValue else { return nil }
            return ToolCall(id: id, name: name, arguments: call["arguments"]?.stringValue ?? "{}")
        }
        let clientIDs = Set(object["client_call_ids"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        self.clientCalls = self.calls.filter { clientIDs.contains($0.id) }
        self.ternResults = object["tern_results"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
    }

    init(content: String, calls: [ToolCall], clientCalls: [ToolCall], ternResults: [String: String]) {
        self.content = content
        self.calls = calls
        self.clientCalls = clientCalls
        self.ternResults = ternResults
    }

    /// The round as the model saw it: the assistant message with every call, then Tern's results.
    var modelMessages: [ChatMessage] {
        var messages = [ChatMessage(role: .assistant, content: content.isEmpty ? nil : content, toolCalls: calls)]
        for call in calls {
            if let output = ternResults[call.id] {
                messages.append(ChatMessage(role: .tool, content: output, toolCallID: call.id))
            }
        }
        return messages
    }
}
