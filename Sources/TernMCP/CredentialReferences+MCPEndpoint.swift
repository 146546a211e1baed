import Foundation
package import TernCore

extension MCPEndpoint {
    /// This endpoint with every `${cred:NAME}` in its environment and header values replaced by
    /// the value of credential NAME of `context`, opened now (at connection time), so a changed
    /// credential is used by the next connection and no resolved value is ever stored.
    ///
    /// References work in values only: the command, arguments and URL show up in logs and
    /// status lines (``description``), so a reference there is refused rather than leaked.
    /// - Throws: ``CredentialError`` naming the credential and the context when one is missing,
    ///   does not open, or a reference is malformed or misplaced.
    package func resolvingCredentials(with vault: CredentialVault?, in context: ContextID) async throws -> MCPEndpoint {
        func refuseIn(_ field: String, _ texts: [String]) throws {
            if texts.contains(where: { $0.contains(CredentialReference.opener) }) {
                throw CredentialError.malformedReference(
                    "MCP server '\(name)': credential references work only in env and header values, not in its \(field)")
            }
        }
        func resolved(_ values: [String: String]) async throws -> [String: String] {
            var result: [String: String] = [:]
            for (key, value) in values {
                guard value.contains(CredentialReference.opener) else {
                    result[key] = value
                    continue
                }
                guard let vault else {
                    throw CredentialError.malformedReference(
                        "MCP server '\(name)' references a credential in \(key), but credentials are not configured here")
                }
                result[key] = try await vault.resolve(value, in: context)
            }
            return result
        }
        switch transport {
        case .stdio(let command, let arguments, let environment):
            try refuseIn("command or arguments", [command] + arguments)
            return MCPEndpoint(
                name: name, transport: .stdio(command: command, arguments: arguments, environment: try await resolved(environment)))
        case .http(let url, let headers):
            try refuseIn("URL", [url])
            return MCPEndpoint(name: name, transport: .http(url: url, headers: try await resolved(headers)))
        }
    }
}
