import Foundation
import TernCore
import Testing

@Suite struct MCPServerRecordTests {
    private func stdio(_ name: String = "time", command: String? = "python3") -> MCPServerRecord {
        MCPServerRecord(contextID: .defaultContext, name: name, transport: .stdio, command: command)
    }

    @Test(arguments: [
        ("", "server name '' must be 1 to 32 letters, digits, '_' or '-'"),
        (String(repeating: "a", count: 33), "must be 1 to 32"),
        ("a b", "must be 1 to 32"),
        ("a__b", "must not contain '__'"),
        ("tern_x", "must not start with 'tern'"),
        ("Tern", "must not start with 'tern'"),
    ])
    func badNamesAreNamed(name: String, expected: String) throws {
        let problem = try #require(stdio(name).validationProblem())
        #expect(problem.contains(expected), "\(problem)")
    }

    @Test func transportFieldsMustMatch() {
        #expect(stdio(command: nil).validationProblem() == "a stdio server needs a command")
        #expect(stdio(command: "  ").validationProblem() == "a stdio server needs a command")
        var withURL = stdio()
        withURL.url = "https://example.com"
        #expect(withURL.validationProblem() == "a stdio server takes a command, not a url")
        let http = MCPServerRecord(contextID: .defaultContext, name: "web", transport: .http)
        #expect(http.validationProblem() == "an http server needs a url")
        var httpWithCommand = http
        httpWithCommand.url = "https://example.com/mcp"
        httpWithCommand.command = "x"
        #expect(httpWithCommand.validationProblem() == "an http server takes a url, not a command")
    }

    @Test func variableAndHeaderNamesAreChecked() {
        var record = stdio()
        record.environment = [MCPVariable(name: "1BAD", value: .plain("x"))]
        #expect(record.validationProblem()?.contains("'1BAD'") == true)
        record.environment = [MCPVariable(name: "OK_1", value: .plain("x")), MCPVariable(name: "OK_1", value: .plain("y"))]
        #expect(record.validationProblem() == "environment variable 'OK_1' is given twice")
        var http = MCPServerRecord(contextID: .defaultContext, name: "web", transport: .http, url: "https://e.com")
        http.headers = [MCPVariable(name: "Bad Header", value: .plain("x"))]
        #expect(http.validationProblem()?.contains("'Bad Header'") == true)
        http.headers = [MCPVariable(name: "X-A", value: .plain("x")), MCPVariable(name: "x-a", value: .plain("y"))]
        #expect(http.validationProblem() == "header 'x-a' is given twice")
        http.headers = [MCPVariable(name: "Authorization", value: .plain("Bearer t"))]
        #expect(http.validationProblem() == nil)
    }

    @Test func variablesEncodeSealedValuesWithTheirKeyID() throws {
        let sealed = MCPVariable(name: "TOKEN", value: .sealed(SealedSecret(keyID: "k1", combined: Data([1, 2, 3]))))
        let plain = MCPVariable(name: "TZ", value: .plain("UTC"))
        let data = try JSONEncoder().encode([sealed, plain])
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""key_id":"k1""#))
        #expect(try JSONDecoder().decode([MCPVariable].self, from: data) == [sealed, plain])
        #expect(sealed.isSecret && !plain.isSecret)
    }

    @Test func secretContextNamesTheField() {
        #expect(MCPServerRecord.secretContext(server: "abc", field: .env, name: "TOKEN") == "mcp_servers/abc/env/TOKEN")
        #expect(
            MCPServerRecord.secretContext(server: "abc", field: .header, name: "Authorization") == "mcp_servers/abc/header/Authorization")
    }
}
