import Foundation
import TernCore

// Stream chunks are read from a parsed `JSONValue` tree instead of through `JSONDecoder`, which
// costs a decoder per chunk; the rules are the same as the `Decodable` conformances in
// OpenAIWire.swift: unknown keys are ignored, a missing or null field is `nil`, a field of the
// wrong type fails the frame with its path (".choices[0].delta.content is not String").

/// A frame that parsed as JSON but does not have the shape of a chunk; says where and what.
struct WireShapeError: Error, CustomStringConvertible {
    var description: String
}

/// An object of a wire message and its path from the root, for error messages.
struct WireObject {
    let members: [String: JSONValue]
    let path: String

    /// Wraps `value`, which must be an object.
    init(_ value: JSONValue, path: String) throws(WireShapeError) {
        guard case .object(let members) = value else { throw Self.mismatch(path, "Dictionary<String, Any>") }
        self.members = members
        self.path = path
    }

    /// The member at `key`, unless missing or null.
    func present(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func string(_ key: String) throws(WireShapeError) -> String? {
        guard let value = present(key) else { return nil }
        guard case .string(let text) = value else { throw Self.mismatch("\(path).\(key)", "String") }
        return text
    }

    func int(_ key: String) throws(WireShapeError) -> Int? {
        guard let value = present(key) else { return nil }
        guard case .number(let number) = value, let integer = Int(exactly: number) else {
            throw Self.mismatch("\(path).\(key)", "Int")
        }
        return integer
    }

    func object(_ key: String) throws(WireShapeError) -> WireObject? {
        guard let value = present(key) else { return nil }
        return try WireObject(value, path: "\(path).\(key)")
    }

    /// The objects of the array at `key`.
    func objects(_ key: String) throws(WireShapeError) -> [WireObject]? {
        guard let value = present(key) else { return nil }
        guard case .array(let elements) = value else { throw Self.mismatch("\(path).\(key)", "Array<Any>") }
        var objects: [WireObject] = []
        objects.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            objects.append(try WireObject(element, path: "\(path).\(key)[\(index)]"))
        }
        return objects
    }

    private static func mismatch(_ path: String, _ type: String) -> WireShapeError {
        WireShapeError(description: "\(path.isEmpty ? "the body" : path) is not \(type)")
    }
}

extension WireChunk {
    /// Reads a chunk (or an error object sent in its place) from a parsed frame.
    init(json: JSONValue) throws(WireShapeError) {
        let root = try WireObject(json, path: "")
        model = try root.string("model")
        choices = try root.objects("choices")?.map { (choice) throws(WireShapeError) in try Choice(choice) }
        usage = try root.object("usage").map { (usage) throws(WireShapeError) in try WireUsage(usage) }
        error = try root.present("error").map { (error) throws(WireShapeError) in try WireError(error, path: ".error") }
    }
}

extension WireChunk.Choice {
    init(_ object: WireObject) throws(WireShapeError) {
        index = try object.int("index")
        finishReason = try object.string("finish_reason")
        delta = try object.object("delta").map { (delta) throws(WireShapeError) in try WireChunk.Delta(delta) }
    }
}

extension WireChunk.Delta {
    init(_ object: WireObject) throws(WireShapeError) {
        content = try object.string("content")
        toolCalls = try object.objects("tool_calls")?.map { (call) throws(WireShapeError) in
            try WireChunk.ToolCallDelta(call)
        }
    }
}

extension WireChunk.ToolCallDelta {
    init(_ object: WireObject) throws(WireShapeError) {
        index = try object.int("index")
        id = try object.string("id")
        function = try object.object("function").map { (function) throws(WireShapeError) in
            WireFunction(
                name: try function.string("name"),
                arguments: try function.present("arguments").map(WireArguments.init(json:)))
        }
    }
}

extension WireArguments {
    /// A string is the text; any other value is re-encoded, as the `Decodable` init does.
    init(json: JSONValue) {
        if case .string(let text) = json {
            self.text = text
        } else {
            self.text = json.jsonText
        }
    }
}

extension WireUsage {
    init(_ object: WireObject) throws(WireShapeError) {
        promptTokens = try object.int("prompt_tokens")
        completionTokens = try object.int("completion_tokens")
        totalTokens = try object.int("total_tokens")
    }
}

extension WireError {
    /// An object with `message`/`code` (numeric, numeric string or a name) or a bare string;
    /// fields of other types are ignored, as the `Decodable` init ignores them.
    init(_ value: JSONValue, path: String) throws(WireShapeError) {
        if case .string(let text) = value {
            message = text
            return
        }
        let object = try WireObject(value, path: path)
        message = object.members["message"]?.stringValue
        switch object.members["code"] {
        case .number(let number): code = Int(exactly: number)
        case .string(let text):
            code = Int(text)
            if code == nil { codeName = text }
        default: break
        }
    }
}

extension OpenAIClient {
    /// Whether an SSE frame's data is the end marker `[DONE]` (blanks around it allowed).
    static func isDone(_ data: String) -> Bool {
        data.utf8.count < 64 && data.trimmingCharacters(in: .whitespaces) == "[DONE]"
    }

    /// A short, body-free description of why a stream frame could not be read.
    static func describe(frameError error: any Error) -> String {
        switch error {
        case let error as JSONParseError: "not JSON (line \(error.line), column \(error.column))"
        case let error as WireShapeError: error.description
        default: "undecodable JSON"
        }
    }
}
