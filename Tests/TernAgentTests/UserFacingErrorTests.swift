import TernAgent
import TernCore
import Testing

/// Chat users are told what they can act on, never where the model server or the database is.
@Suite struct UserFacingErrorTests {
    @Test(arguments: [
        (
            ModelError.connection(endpoint: "POST 10.0.0.7:8080/v1/chat/completions", reason: "connect to 10.0.0.7:8080 refused"),
            "could not reach the model server"
        ),
        (
            ModelError.upstream(endpoint: "POST 10.0.0.7:8080/v1/chat/completions", status: 500, message: "the model failed"),
            "model server answered 500: the model failed"
        ),
        (
            ModelError.timeout(endpoint: "POST 10.0.0.7:8080/v1/chat/completions", seconds: 120),
            "model server did not answer within 120 s"
        ),
        (
            ModelError.incomplete(endpoint: "POST 10.0.0.7:8080/v1/chat/completions", reason: "the connection closed", usage: nil),
            "model server's answer was cut off: the connection closed"
        ),
        (
            ModelError.invalidResponse(endpoint: "POST 10.0.0.7:8080/v1/chat/completions", reason: "not JSON"),
            "model server sent an invalid response: not JSON"
        ),
    ])
    func modelErrors_neverNameTheServersAddress(error: ModelError, expected: String) {
        #expect(userFacingDescription(of: error) == expected)
        #expect(!userFacingDescription(of: error).contains("10.0.0.7"))
        #expect(error.description.contains("10.0.0.7"), "the log keeps the address")
    }

    @Test func storeFailures_sayOnlyThatSomethingInternalFailed() {
        let error = StoreError.database("no connection to PostgreSQL at db.internal:5432/tern within 10 s")
        #expect(userFacingDescription(of: error) == "an internal error (the server log has the details)")
    }

    @Test func whatTheUserCanActOn_isSaid() {
        #expect(userFacingDescription(of: AgentError.forbidden("a viewer may not run write tools")) == "a viewer may not run write tools")
        #expect(userFacingDescription(of: StoreError.notFound("context 'ops'")) == "not found: context 'ops'")
    }
}
