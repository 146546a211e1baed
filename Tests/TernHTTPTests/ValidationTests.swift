import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TernTesting
import Testing

/// Bad chat requests get a 4xx in OpenAI's error shape that names the field, and store nothing.
@Suite(.timeLimit(.minutes(1))) struct ValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var body: String
        var status: HTTPResponse.Status = .badRequest
        var param: String?
        var message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "not JSON", body: "{nope", message: "not valid JSON"),
        Case(name: "array body", body: "[]", message: "must be a JSON object, got array"),
        Case(name: "missing model", body: #"{"messages":[{"role":"user","content":"x"}]}"#, param: "model", message: "'model' is required"),
        Case(
            name: "model wrong type", body: #"{"model":3,"messages":[]}"#, param: "model", message: "'model' must be a string, got number"),
        Case(
            name: "unknown model", body: #"{"model":"gpt-9","messages":[{"role":"user","content":"x"}]}"#, status: .notFound,
            param: "model", message: "the model 'gpt-9' does not exist"),
        Case(name: "missing messages", body: #"{"model":"tern"}"#, param: "messages", message: "'messages' is required"),
        Case(
            name: "messages not array", body: #"{"model":"tern","messages":"hi"}"#, param: "messages",
            message: "'messages' must be an array, got string"),
        Case(name: "empty messages", body: #"{"model":"tern","messages":[]}"#, param: "messages", message: "at least one message"),
        Case(
            name: "message not object", body: #"{"model":"tern","messages":[1]}"#, param: "messages[0]",
            message: "messages[0] must be an object"),
        Case(
            name: "missing role", body: #"{"model":"tern","messages":[{"content":"x"}]}"#, param: "messages[0].role",
            message: "messages[0].role is required"),
        Case(
            name: "bad role", body: #"{"model":"tern","messages":[{"role":"robot","content":"x"}]}"#, param: "messages[0].role",
            message: "got 'robot'"),
        Case(
            name: "content wrong type", body: #"{"model":"tern","messages":[{"role":"user","content":5}]}"#, param: "messages[0].content",
            message: "must be a string or an array of parts, got number"),
        Case(
            name: "user content missing", body: #"{"model":"tern","messages":[{"role":"user"}]}"#, param: "messages[0].content",
            message: "required for role 'user'"),
        Case(
            name: "image part",
            body: #"{"model":"tern","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}"#,
            param: "messages[0].content[0].type", message: "'image_url' is not supported"),
        Case(
            name: "last not user", body: #"{"model":"tern","messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}"#,
            param: "messages[1].role", message: "last message must have role 'user'"),
        Case(
            name: "stream not bool", body: #"{"model":"tern","stream":"yes","messages":[{"role":"user","content":"x"}]}"#, param: "stream",
            message: "'stream' must be a boolean, got string"),
        Case(
            name: "temperature range", body: #"{"model":"tern","temperature":7,"messages":[{"role":"user","content":"x"}]}"#,
            param: "temperature", message: "between 0 and 2"),
        Case(
            name: "max_tokens zero", body: #"{"model":"tern","max_tokens":0,"messages":[{"role":"user","content":"x"}]}"#,
            param: "max_tokens", message: "at least 1"),
        Case(
            name: "n above one", body: #"{"model":"tern","n":2,"messages":[{"role":"user","content":"x"}]}"#, param: "n",
            message: "only n=1"),
        Case(
            name: "client tools", body: #"{"model":"tern","tools":[{"type":"function"}],"messages":[{"role":"user","content":"x"}]}"#,
            param: "tools[0].function", message: "tools[0].function is required"),
    ]

    @Test(arguments: cases)
    func badRequest_isRejectedWithItsField_andNothingIsStored(_ testCase: Case) async throws {
        try await Harness.run { harness, client throws in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized, body: ByteBuffer(string: testCase.body))
            #expect(response.status == testCase.status)
            #expect(response.headers[.contentType] == "application/json")
            let error = try errorBody(response.body)
            let message = error["message"] as? String ?? ""
            #expect(message.contains(testCase.message), "message was: \(message)")
            #expect(error["param"] as? String == testCase.param)
            #expect(error["type"] as? String == "invalid_request_error")
            #expect(try await harness.count("conversations") == 0)
            #expect(try await harness.count("messages") == 0)
            #expect(harness.fake?.chatRequests().isEmpty == true)
        }
    }

    @Test func badConversationHeader_isRejected() async throws {
        try await Harness.run { harness, client throws in
            var headers = HTTPFields.authorized
            headers[HTTPField.Name("X-Tern-Conversation-Id")!] = String(repeating: "x", count: 300)
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: headers, body: chatBody())
            #expect(response.status == .badRequest)
            #expect(try errorBody(response.body)["param"] as? String == "X-Tern-Conversation-Id")
            #expect(try await harness.count("conversations") == 0)
        }
    }

    @Test func unknownRoute_answersOpenAIShaped404() async throws {
        try await Harness.run { _, client throws in
            let response = try await client.execute(uri: "/v1/nothing", method: .get, headers: .authorized)
            #expect(response.status == .notFound)
            #expect(try errorBody(response.body)["message"] is String)
        }
    }
}
