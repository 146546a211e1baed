import Testing
import TernCore

@Suite struct CredentialReferenceTests {
    @Test func parse_splitsTextAndReferences() throws {
        #expect(try CredentialReference.parse("plain") == [.text("plain")])
        #expect(
            try CredentialReference.parse("Bearer ${cred:TOKEN} and ${cred:b.c-d}")
                == [.text("Bearer "), .reference("TOKEN"), .text(" and "), .reference("b.c-d")])
        #expect(try CredentialReference.parse("${HOME}/${cred:A}") == [.text("${HOME}/"), .reference("A")])
        #expect(try CredentialReference.names(in: "${cred:A}${cred:B}${cred:A}") == ["A", "B"])
    }

    @Test func parse_rejectsUnclosedOrInvalidReferences_namingThem() {
        #expect(throws: CredentialError.malformedReference("\"${cred:\" without a closing '}'")) {
            try CredentialReference.parse("x ${cred:TOKEN")
        }
        #expect(throws: CredentialError.malformedReference("${cred:}: a credential name must be 1 to 64 characters")) {
            try CredentialReference.parse("${cred:}")
        }
    }

    @Test func names_followTheRules() {
        #expect(CredentialName.problem(with: "GITHUB_TOKEN") == nil)
        #expect(CredentialName.problem(with: "_x.y-z") == nil)
        #expect(CredentialName.problem(with: "has space") != nil)
        #expect(CredentialName.problem(with: "9lives") != nil)
        #expect(CredentialName.problem(with: String(repeating: "a", count: 65)) != nil)
    }

    @Test func errors_nameTheCredentialAndTheContext() {
        let error = CredentialError.missing(name: "TOKEN", context: "ctx-1")
        #expect(error.description == "credential 'TOKEN' is not set in context ctx-1 (set it with `tern credentials set`)")
    }
}
