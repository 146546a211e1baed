import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TernTesting
import Testing

/// A NUL character (`\u0000`) in a JSON API body is a 400 naming the field on every backend,
/// not a 500 from PostgreSQL ("invalid byte sequence for encoding UTF8: 0x00"), which
/// schemathesis found against `tern serve` on PostgreSQL.
@Suite(.timeLimit(.minutes(1))) struct NULCharacterTests {
    @Test func adminBody_withNUL_isA400NamingTheField_andStoresNothing() async throws {
        try await Harness.run { harness, client in
            let users = try await harness.count("users")
            let response = try await client.execute(
                uri: "/admin/api/v1/users", method: .post, headers: .authorized,
                body: ByteBuffer(string: #"{"email":"dee@example.com","display_name":"D\u0000e"}"#))
            #expect(response.status == .badRequest)
            let error = try errorBody(response.body)
            #expect(error["param"] as? String == "display_name")
            #expect(error["code"] as? String == "invalid_value")
            #expect(error["message"] as? String == #"'display_name' contains a NUL character (\u0000), which text fields cannot hold"#)
            #expect(try await harness.count("users") == users)
        }
    }

    @Test func agentBody_withNULInANestedKey_namesItsPath() async throws {
        try await Harness.run { _, client in
            let response = try await client.execute(
                uri: "/v1/agent", method: .post, headers: .authorized,
                body: ByteBuffer(string: #"{"input":"hi","extra":[{"a\u0000":1}]}"#))
            #expect(response.status == .badRequest)
            #expect(try errorBody(response.body)["param"] as? String == "extra[0].a\u{0}")
        }
    }
}

/// The chat completions API refuses NUL as the other JSON bodies do, naming the message field,
/// on every backend (it used to store it on SQLite and answer 500 on PostgreSQL).
@Suite(.timeLimit(.minutes(1))) struct ChatNULCharacterTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var body: String
        var param: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "string content", body: #"{"model":"tern","messages":[{"role":"user","content":"a\u0000b"}]}"#,
            param: "messages[0].content"),
        Case(
            name: "text part",
            body:
                #"{"model":"tern","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"ok"},{"type":"text","text":"\u0000"}]}]}"#,
            param: "messages[1].content[1].text"),
        Case(
            name: "user field", body: #"{"model":"tern","user":"u\u0000","messages":[{"role":"user","content":"hi"}]}"#,
            param: "user"),
    ]

    @Test(arguments: cases)
    func chatBody_withNUL_isA400NamingTheField_andStoresNothing(_ testCase: Case) async throws {
        try await Harness.run { harness, client in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized, body: ByteBuffer(string: testCase.body))
            #expect(response.status == .badRequest)
            let error = try errorBody(response.body)
            #expect(error["param"] as? String == testCase.param)
            #expect(error["code"] as? String == "invalid_value")
            #expect(
                error["message"] as? String
                    == "'\(testCase.param)' contains a NUL character (\\u0000), which text fields cannot hold")
            #expect(try await harness.count("conversations") == 0)
            #expect(try await harness.count("messages") == 0)
            #expect(harness.fake?.chatRequests().isEmpty == true)
        }
    }
}
