import Foundation
import Hummingbird
import TernAgent
import TernCore
import TernMemory

/// `contexts/{id}/memory…`: a context's long-term memory for admins and the context's owners
/// (``AdminScope/Use/manage``): ingest a document, list, recall, forget, status and settings.
/// Changes are audited by ``AuditMiddleware`` like every admin change; a body over 64 KiB is
/// refused with 413 (bigger files go through `tern memory ingest`).
extension AdminController {
    func addMemoryRoutes(to group: RouterGroup<TernRequestContext>) {
        group.post("contexts/:id/memory/documents", use: ingestDocument)
        group.get("contexts/:id/memory/documents", use: listDocuments)
        group.get("contexts/:id/memory/recall", use: recallMemories)
        group.get("contexts/:id/memory/settings", use: memoryStatus)
        group.put("contexts/:id/memory/settings", use: putMemorySettings)
        group.get("contexts/:id/memory", use: listMemories)
        group.delete("contexts/:id/memory/:memory", use: forgetMemory)
    }

    /// `POST contexts/{id}/memory/documents` with `{"source", "text", "format"?}`: 201 when the
    /// document is new, 200 when it replaced an older version or was unchanged.
    @Sendable func ingestDocument(_ request: Request, context: TernRequestContext) async throws -> Response {
        let (memory, id) = try await memoryScope(context)
        let body = try await JSONBody.read(request, context: context)
        try body.rejectUnknownKeys(allowed: ["source", "text", "format"])
        let source = try body.string("source").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !source.isEmpty, source.count <= 500 else {
            throw APIError.invalid("'source' must be 1 to 500 characters (a file name or path)", param: "source")
        }
        let text = try body.string("text")
        let format: DocumentFormat
        if let raw = try body.optionalString("format") {
            guard let named = DocumentFormat(name: raw) else {
                throw APIError.invalid("'format' must be one of \(DocumentFormat.names); got '\(raw)'", param: "format")
            }
            format = named
        } else {
            format = DocumentFormat(fileName: source) ?? .text
        }
        guard !text.allSatisfy(\.isWhitespace) else {
            throw APIError.invalid("'text' is empty: the document has nothing to remember", param: "text")
        }
        let report: MemoryService.IngestReport
        do {
            report = try await memory.ingest(text, source: source, format: format, in: id)
        } catch let error as MemoryError {
            throw APIError(status: .conflict, message: error.description, code: "embedding_mismatch")
        }
        return try json(report.outcome == .added ? .created : .ok, MemoryJSON.report(report, format: format))
    }

    /// `GET contexts/{id}/memory/documents`: the ingested documents, by source.
    @Sendable func listDocuments(_ request: Request, context: TernRequestContext) async throws -> Response {
        let (memory, id) = try await memoryScope(context)
        return try json(.ok, ["data": .array(try await memory.store.documents(in: id).map(MemoryJSON.document))])
    }

    /// `GET contexts/{id}/memory/recall?q=…&k=5`: what a turn would recall, best first.
    @Sendable func recallMemories(_ request: Request, context: TernRequestContext) async throws -> Response {
        let (memory, id) = try await memoryScope(context)
        let query = request.formQuery["q"] ?? ""
        guard !query.allSatisfy(\.isWhitespace) else {
            throw APIError.invalid("'q' is required: the words to recall memories for", param: "q")
        }
        let k = try Self.integer(request, "k", default: 5, in: 1...MemoryQuery.maximumK)
        let hits = try await memory.recall(query, k: k, in: id)
        return try json(.ok, ["data": .array(hits.map(MemoryJSON.hit))])
    }

    /// `GET contexts/{id}/memory?limit=50&cursor=…`: memories newest first, a page at a time.
    @Sendable func listMemories(_ request: Request, context: TernRequestContext) async throws -> Response {
        let (memory, id) = try await memoryScope(context)
        let limit = try Self.integer(request, "limit", default: 50, in: 1...500)
        var cursor: MemoryCursor?
        if let token = request.formQuery["cursor"] {
            guard let parsed = MemoryCursor(token: token) else {
                throw APIError.invalid("'cursor' is not a cursor from a previous page's next_cursor", param: "cursor")
            }
            cursor = parsed
        }
        let page = try await memory.store.list(in: id, page: MemoryPageRequest(cursor: cursor, limit: limit))
        return try json(
            .ok, ["data": .array(page.memories.map(MemoryJSON.memory)), "next_cursor": page.next.map { .string($0.token) } ?? .null])
    }

    /// `DELETE contexts/{id}/memory/{memory}`: 204, or 404 when the context has no such memory.
    @Sendable func forgetMemory(_ request: Request, context: TernRequestContext) async throws -> Response {
        let (memory, id) = try await memoryScope(context)
        try await memory.store.forget(MemoryID(try context.parameters.require("memory")), in: id)
        return Response(status: .noContent)
    }

    /// The context (403 outside the caller's scope, 404 when unknown) and the memory service.
    func memoryScope(_ context: TernRequestContext) async throws -> (MemoryService, ContextID) {
        let id = try await existingContext(context, for: .manage)
        guard let memory else {
            throw APIError(status: .serviceUnavailable, message: "memory is not available on this server", code: "memory_unavailable")
        }
        return (memory, id)
    }

    /// A whole-number query parameter in `range`, or `fallback` when absent (400 naming it otherwise).
    static func integer(_ request: Request, _ name: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let raw = request.formQuery[name] else { return fallback }
        guard let value = Int(raw), range.contains(value) else {
            throw APIError.invalid(
                "'\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(raw)'", param: name)
        }
        return value
    }
}
