import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TernAgent
import TernApp
import TernCore
import TernHTTP
import TernStore
import Testing

/// The OpenAPI document lists exactly the router's routes, is OpenAPI 3.1, and is served
/// without a key.
@Suite struct OpenAPIDocumentTests {
    @Test func document_listsEveryRouteOfTheRouterAndNoOther() async throws {
        let all = try await Self.routerRoutes()
        // The admin portal's pages (sign-in, OIDC callback, login links, logout) are HTML and
        // redirects for browsers, not API: they stay out of the document schemathesis runs against.
        let routes = all.filter { !Self.isPortalPage($0) }
        #expect(Self.portalSignIn.isSubset(of: all), "the portal's sign-in routes changed; update portalSignIn")
        #expect(routes.count > 20, "the router has only \(routes.count) routes?")
        let documented = Self.documentedOperations(OpenAPIDocument.document)
        let missing = routes.subtracting(documented).sorted()
        let extra = documented.subtracting(routes).sorted()
        #expect(missing.isEmpty, "routes missing from the OpenAPI document: \(missing)")
        #expect(extra.isEmpty, "the OpenAPI document lists routes the router does not have: \(extra)")
    }

    @Test func document_isOpenAPI31AndEveryReferenceResolves() throws {
        let document = try JSONValue(jsonText: OpenAPIDocument.jsonText)
        #expect(document["openapi"]?.stringValue?.hasPrefix("3.1.") == true)
        #expect(document["info"]?["title"]?.stringValue == "Tern")
        let references = Self.references(in: document)
        #expect(!references.isEmpty)
        for reference in references {
            var node: JSONValue? = document
            for part in reference.dropFirst(2).split(separator: "/") { node = node?[String(part)] }
            #expect(node != nil, "\(reference) points at nothing")
        }
    }

    @Test func document_everyOperationHasAnIDAndAnswers() {
        var ids: [String] = []
        for (path, item) in OpenAPIDocument.document["paths"]?.objectValue ?? [:] {
            for (method, operation) in item.objectValue ?? [:] {
                #expect(operation["operationId"]?.stringValue != nil, "\(method) \(path) has no operationId")
                #expect(operation["responses"]?.objectValue?.isEmpty == false, "\(method) \(path) has no responses")
                ids.append(operation["operationId"]?.stringValue ?? "")
            }
        }
        #expect(Set(ids).count == ids.count, "operationIds repeat: \(ids.sorted())")
    }

    @Test func openAPIJSON_answersWithoutAKey() async throws {
        try await LimitsHarness.run(limits: ServerLimits()) { _, client in
            let response = try await client.execute(uri: "/openapi.json", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let served = try JSONValue(jsonText: String(buffer: response.body))
            #expect(served == OpenAPIDocument.document)
        }
    }

    // MARK: Helpers

    /// Whether a route is one of the admin portal's browser pages (everything under `/admin/`
    /// but the JSON API), which the API document leaves out.
    static func isPortalPage(_ route: String) -> Bool {
        let path = route.split(separator: " ", maxSplits: 1).last.map(String.init) ?? ""
        return (path == "/admin" || path.hasPrefix("/admin/")) && !path.hasPrefix("/admin/api/")
    }

    /// The portal's sign-in routes, which must stay.
    static let portalSignIn: Set<String> = [
        "GET /admin", "GET /admin/login", "GET /admin/login-link/{token}", "GET /admin/oidc/callback",
        "POST /admin/logout",
    ]

    /// `METHOD /path` for every route of a router built as the server builds it.
    static func routerRoutes() async throws -> Set<String> {
        try await LiveTern.run { dependencies, _ in
            Set(
                buildRouter(dependencies.http, pages: dependencies.portalPages).routes.map {
                    "\($0.method.rawValue) \(normalized($0.path.description))"
                })
        }
    }

    /// `METHOD /path` for every operation of the document.
    static func documentedOperations(_ document: JSONValue) -> Set<String> {
        var operations: Set<String> = []
        for (path, item) in document["paths"]?.objectValue ?? [:] {
            for method in (item.objectValue ?? [:]).keys { operations.insert("\(method.uppercased()) \(normalized(path))") }
        }
        return operations
    }

    /// `/a/:id/b` and `/a/{id}/b` alike, as `/a/{id}/b`.
    static func normalized(_ path: String) -> String {
        "/"
            + path.split(separator: "/").map { segment in
                segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
            }.joined(separator: "/")
    }

    /// Every `$ref` in a value.
    static func references(in value: JSONValue) -> [String] {
        switch value {
        case .object(let object):
            return (object["$ref"]?.stringValue.map { [$0] } ?? []) + object.values.flatMap(references)
        case .array(let items): return items.flatMap(references)
        default: return []
        }
    }
}
