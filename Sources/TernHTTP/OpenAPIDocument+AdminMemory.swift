import TernCore
import TernMemory

/// The admin API's memory routes, as ``AdminController`` (`+Memory`) serves them: admins and the
/// context's owners.
extension OpenAPIDocument {
    static var adminMemoryPaths: [String: [String: JSONValue]] {
        let contextID = OAS.pathParameter("id", "The context's id.", example: ContextID.defaultContext.rawValue)
        func query(_ name: String, _ description: String, _ schema: JSONValue, required: Bool = false) -> JSONValue {
            ["name": .string(name), "in": "query", "required": .bool(required), "description": .string(description), "schema": schema]
        }
        let queryErrors = OAS.errors(400, 401, 403, 404, 429)
        return [
            "\(adminPrefix)/contexts/{id}/memory/documents": [
                "post": OAS.operation(
                    "ingestMemoryDocument", "Ingest a document into the context's memory", tag: "admin",
                    description: """
                        The text is cut into chunks (markdown and HTML at headings, then paragraphs; source files at \
                        blank-line blocks), embedded when an embedding model is configured, and stored in one \
                        transaction under `source`. The same source with the same content changes nothing \
                        (`unchanged`); changed content replaces the old chunks (`replaced`). Bodies are capped at \
                        64 KiB (413); larger files go through `tern memory ingest`. 409 when the context's stored \
                        vectors come from another embedding model (run `tern memory reembed`).
                        """,
                    parameters: [contextID],
                    body: OAS.object(
                        [
                            "source": OAS.string("The document's name in the context, e.g. its path.", minLength: 1, maxLength: 500),
                            "text": OAS.string("The document's content.", minLength: 1),
                            "format": OAS.nullable(
                                OAS.oneOf(DocumentFormat.self, "How to read `text`; default: from `source`'s extension, else text.")),
                        ], required: ["source", "text"], additional: false),
                    responses: ok(OAS.ref("MemoryIngestReport"), OAS.bodyErrors, 409)
                        .merging(created(OAS.ref("MemoryIngestReport"), [:])) { $1 }),
                "get": OAS.operation(
                    "listMemoryDocuments", "The context's ingested documents, by source", tag: "admin", parameters: [contextID],
                    responses: ok(OAS.object(["data": OAS.array(OAS.ref("MemoryDocument"))], required: ["data"]), OAS.authErrors)),
            ],
            "\(adminPrefix)/contexts/{id}/memory/recall": [
                "get": OAS.operation(
                    "recallMemories", "What a turn would recall for some words, best first", tag: "admin",
                    parameters: [
                        contextID, query("q", "The words to recall memories for.", OAS.string(minLength: 1), required: true),
                        query("k", "How many memories at most (default 5).", OAS.integer(minimum: 1, maximum: 100)),
                    ],
                    responses: ok(OAS.object(["data": OAS.array(OAS.ref("MemoryHit"))], required: ["data"]), queryErrors))
            ],
            "\(adminPrefix)/contexts/{id}/memory": [
                "get": OAS.operation(
                    "listMemories", "The context's memories, newest first", tag: "admin",
                    description: "Keyset pages: pass `next_cursor` back as `cursor`.",
                    parameters: [
                        contextID, query("limit", "Memories per page (default 50).", OAS.integer(minimum: 1, maximum: 500)),
                        query("cursor", "Where the previous page ended (its `next_cursor`).", OAS.string()),
                    ],
                    responses: ok(
                        OAS.object(
                            ["data": OAS.array(OAS.ref("Memory")), "next_cursor": OAS.nullable(OAS.string())],
                            required: ["data", "next_cursor"]),
                        queryErrors))
            ],
            "\(adminPrefix)/contexts/{id}/memory/{memory}": [
                "delete": OAS.operation(
                    "forgetMemory", "Forget one memory (a fact or a document chunk)", tag: "admin",
                    parameters: [contextID, OAS.pathParameter("memory", "The memory's id.")],
                    responses: ["204": OAS.noContent].merging(OAS.authErrors) { $1 })
            ],
            "\(adminPrefix)/contexts/{id}/memory/settings": [
                "get": OAS.operation(
                    "getMemorySettings", "The context's memory settings, counts and recall mode", tag: "admin",
                    parameters: [contextID], responses: ok(OAS.ref("MemoryStatus"), OAS.authErrors)),
                "put": OAS.operation(
                    "putMemorySettings", "Change the context's memory settings", tag: "admin",
                    description: "Fields left out keep their values. `minimum_score` drops vector hits only; keyword hits stay.",
                    parameters: [contextID],
                    body: OAS.object(
                        [
                            "enabled": OAS.nullable(OAS.boolean("Recall memories in each turn.")),
                            "k": OAS.nullable(OAS.integer("Memories recalled per turn.", minimum: 1, maximum: 100)),
                            "minimum_score": OAS.nullable(OAS.number("Lowest cosine similarity of a vector hit.", minimum: 0, maximum: 1)),
                            "summarize_turns": OAS.nullable(OAS.boolean("Remember a short summary of each turn.")),
                        ], additional: false),
                    responses: ok(OAS.ref("MemoryStatus"), OAS.bodyErrors)),
            ],
        ]
    }

    static var adminMemorySchemas: [String: JSONValue] {
        let text = OAS.string()
        let count = OAS.integer(minimum: 0)
        let time = OAS.string(format: "date-time")
        return [
            "Memory": OAS.object(
                [
                    "id": text, "text": text, "source": text, "kind": OAS.oneOf(["fact", "document"]),
                    "chunk_index": OAS.nullable(count), "has_embedding": OAS.boolean(),
                    "metadata": OAS.nullable(OAS.object([:])), "created_at": time,
                ], required: ["id", "text", "source", "kind", "chunk_index", "has_embedding", "metadata", "created_at"]),
            "MemoryHit": OAS.object(
                [
                    "memory": OAS.ref("Memory"),
                    "cited_as": OAS.string("How the model is told the source: a document's path or `remembered on <date>`."),
                    "score": OAS.number("Reciprocal rank fusion of the keyword and vector ranks."),
                    "keyword_rank": OAS.nullable(OAS.integer(minimum: 1)), "vector_rank": OAS.nullable(OAS.integer(minimum: 1)),
                    "similarity": OAS.nullable(OAS.number()),
                ], required: ["memory", "cited_as", "score", "keyword_rank", "vector_rank", "similarity"]),
            "MemoryDocument": OAS.object(
                ["id": text, "source": text, "content_hash": text, "chunks": count, "updated_at": time],
                required: ["id", "source", "content_hash", "chunks", "updated_at"]),
            "MemoryIngestReport": OAS.object(
                [
                    "source": text, "format": OAS.oneOf(DocumentFormat.self), "outcome": OAS.oneOf(["added", "replaced", "unchanged"]),
                    "chunks": count, "unembedded": OAS.integer("Chunks stored without a vector (the embedding server failed).", minimum: 0),
                    "embedding_problem": OAS.nullable(text),
                ], required: ["source", "format", "outcome", "chunks", "unembedded", "embedding_problem"]),
            "MemoryStatus": OAS.object(
                [
                    "enabled": OAS.boolean(), "k": OAS.integer(minimum: 1, maximum: 100),
                    "minimum_score": OAS.number(minimum: 0, maximum: 1), "summarize_turns": OAS.boolean(),
                    "memories": count, "embedded": count, "documents": count,
                    "recall": OAS.string("How recall works here: keyword only, or keyword + vector with the model."),
                    "embedding_model": OAS.nullable(text),
                    "stored_embedding": OAS.nullable(
                        OAS.object(["model": text, "dimension": count], required: ["model", "dimension"])),
                ],
                required: [
                    "enabled", "k", "minimum_score", "summarize_turns", "memories", "embedded", "documents", "recall",
                    "embedding_model", "stored_embedding",
                ]),
        ]
    }
}
