import Foundation
import SQLKit
import TernCore

extension SecretsRotation {
    /// One `mcp_servers` row as rotation reads it: the JSON columns as stored (the condition of
    /// the write) and their variables.
    struct MCPRow {
        var id: MCPServerID
        var name: String
        var contextID: ContextID
        var environmentText: String
        var headersText: String
        var environment: [MCPVariable]
        var headers: [MCPVariable]

        /// The sealed variables, with their field.
        var sealed: [(MCPVariableField, (name: String, sealed: SealedSecret))] {
            func pick(_ variables: [MCPVariable], _ field: MCPVariableField) -> [(MCPVariableField, (name: String, sealed: SealedSecret))] {
                variables.compactMap { variable in
                    if case .sealed(let sealed) = variable.value { (field, (variable.name, sealed)) } else { nil }
                }
            }
            return pick(environment, .env) + pick(headers, .header)
        }

        func label(_ field: MCPVariableField, _ name: String) -> String {
            "MCP server '\(self.name)' of context \(contextID), \(field == .env ? "env" : "header") \(name)"
        }
    }

    func mcpRows() async throws -> [MCPRow] {
        let rows = try await mapErrors {
            try await database.read { db in
                try await db.select().columns("id", "name", "context_id", "environment", "headers").from("mcp_servers")
                    .orderBy("context_id").orderBy("name")
                    .all()
            }
        }
        return try rows.map { row in
            let name = try row.decode(column: "name", as: String.self)
            let environment = try row.decode(column: "environment", as: String.self)
            let headers = try row.decode(column: "headers", as: String.self)
            func variables(_ text: String, _ column: String) throws -> [MCPVariable] {
                do {
                    return try JSONDecoder().decode([MCPVariable].self, from: Data(text.utf8))
                } catch {
                    throw StoreError.database("MCP server '\(name)': column \(column) is not valid JSON (\(error))")
                }
            }
            return MCPRow(
                id: MCPServerID(try row.decode(column: "id", as: String.self)), name: name,
                contextID: ContextID(try row.decode(column: "context_id", as: String.self)),
                environmentText: environment, headersText: headers,
                environment: try variables(environment, "environment"), headers: try variables(headers, "headers"))
        }
    }

    /// Re-seals one server's secret values and writes them in one conditional statement.
    func rotate(_ row: MCPRow, into report: inout Report) async throws {
        var changed = 0
        func resealed(_ variables: [MCPVariable], _ field: MCPVariableField) -> [MCPVariable] {
            variables.map { variable in
                guard case .sealed(let sealed) = variable.value else { return variable }
                let place = MCPServerRecord.secretContext(server: row.id, field: field, name: variable.name)
                var local = Report()
                guard let new = reseal(sealed, place: place, what: row.label(field, variable.name), into: &local) else {
                    report.alreadyCurrent += local.alreadyCurrent
                    report.failed += local.failed
                    return variable
                }
                changed += 1
                return MCPVariable(name: variable.name, value: .sealed(new))
            }
        }
        let environment = resealed(row.environment, .env)
        let headers = resealed(row.headers, .header)
        guard changed > 0 else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let environmentText = String(decoding: try encoder.encode(environment), as: UTF8.self)
        let headersText = String(decoding: try encoder.encode(headers), as: UTF8.self)
        let written = try await mapErrors {
            try await database.write { db in
                try await db.update("mcp_servers")
                    .set("environment", to: SQLBind(environmentText))
                    .set("headers", to: SQLBind(headersText))
                    .where("id", .equal, SQLBind(row.id.rawValue))
                    .where("environment", .equal, SQLBind(row.environmentText))
                    .where("headers", .equal, SQLBind(row.headersText))
                    .returning("id")
                    .all()
            }
        }
        if written.isEmpty {
            report.failed.append(Self.changed("MCP server '\(row.name)' of context \(row.contextID)"))
        } else {
            report.resealed += changed
        }
    }
}
