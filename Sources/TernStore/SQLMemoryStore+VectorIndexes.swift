import SQLKit
import TernCore

/// One of PostgreSQL's per-dimension HNSW indexes over `memories` (see ``PostgresMemoryVectors``).
package struct MemoryVectorIndex: Sendable, Equatable {
    /// Whether recall can use it.
    package enum State: String, Sendable, Equatable {
        /// Built and used by recall.
        case ready
        /// Not there (dropped for a bulk load, or a load that was killed): recall searches this
        /// dimension's vectors exactly, which is correct but slow on a large table.
        case missing
        /// Left by a `CREATE INDEX CONCURRENTLY` that failed or was interrupted: PostgreSQL keeps
        /// it up to date on every write but never reads it.
        case invalid
        /// Above pgvector's 2,000 dimensions: always searched exactly.
        case unindexable
    }

    package var dimension: Int
    package var name: String
    package var state: State
    /// Its size on disk, when it exists.
    package var bytes: Int64?
    /// How many contexts record embeddings of this dimension.
    package var contexts: Int

    package init(dimension: Int, name: String, state: State, bytes: Int64?, contexts: Int) {
        self.dimension = dimension
        self.name = name
        self.state = state
        self.bytes = bytes
        self.contexts = contexts
    }
}

/// How far a ``SQLMemoryStore/buildVectorIndexes(maintenanceMemory:progress:)`` build is, from
/// PostgreSQL's `pg_stat_progress_create_index`.
package struct MemoryIndexProgress: Sendable, Equatable {
    /// PostgreSQL's name of the phase, e.g. `building index: loading tuples`.
    package var phase: String
    /// Work done and to do in this phase (tuples or blocks; 0 of 0 when the phase does not say).
    package var done: Int64
    package var total: Int64
}

extension SQLMemoryStore {
    /// The HNSW index of every dimension a context records embeddings of, and of any other
    /// dimension that still has one. Empty on SQLite, which keeps no vector index (recall scores
    /// the context's vectors in memory).
    package func vectorIndexes() async throws -> [MemoryVectorIndex] {
        guard database.dialect == .postgres else { return [] }
        let (recorded, existing) = try await database.read { db in
            let recorded = try await db.raw(
                """
                SELECT embedding_dimension AS dimension, COUNT(*) AS contexts FROM memory_settings
                WHERE embedding_dimension IS NOT NULL GROUP BY embedding_dimension
                """
            ).all()
            let existing = try await db.raw(
                """
                SELECT c.relname AS name, i.indisvalid AS valid, pg_relation_size(c.oid) AS bytes
                FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
                WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
                    AND c.relname LIKE 'memories\\_embedding\\_hnsw\\_%'
                """
            ).all()
            return (recorded, existing)
        }
        var contexts: [Int: Int] = [:]
        for row in recorded {
            contexts[try row.decode(column: "dimension", as: Int.self)] = try row.decode(column: "contexts", as: Int.self)
        }
        var indexes: [Int: MemoryVectorIndex] = [:]
        for row in existing {
            let name = try row.decode(column: "name", as: String.self)
            guard let dimension = Int(name.dropFirst(Self.indexNamePrefix.count)) else { continue }
            let valid = try row.decode(column: "valid", as: Bool.self)
            indexes[dimension] = MemoryVectorIndex(
                dimension: dimension, name: name, state: valid ? .ready : .invalid,
                bytes: try row.decode(column: "bytes", as: Int64.self), contexts: contexts[dimension] ?? 0)
        }
        for (dimension, count) in contexts where indexes[dimension] == nil {
            let indexable = dimension <= PostgresMemoryVectors.maximumIndexedDimension
            indexes[dimension] = MemoryVectorIndex(
                dimension: dimension, name: Self.indexName(dimension), state: indexable ? .missing : .unindexable,
                bytes: nil, contexts: count)
        }
        return indexes.values.sorted { $0.dimension < $1.dimension }
    }

    /// Drops `dimension`'s HNSW index, if there is one (PostgreSQL; nothing on SQLite). Until it is
    /// built again (``buildVectorIndexes(maintenanceMemory:progress:)``) recall searches that
    /// dimension exactly, and writes no longer maintain it: what a bulk load wants.
    package func dropVectorIndex(dimension: Int) async throws {
        guard database.dialect == .postgres else { return }
        try await database.write { db in
            try await db.raw("DROP INDEX CONCURRENTLY IF EXISTS \(unsafeRaw: Self.indexName(dimension))").run()
        }
    }

    /// Builds every missing or invalid HNSW index of ``vectorIndexes()`` with `CREATE INDEX
    /// CONCURRENTLY` (writes to `memories` go on meanwhile; an invalid one is dropped first),
    /// calling `progress` about once a second while each builds. `maintenanceMemory` (a
    /// PostgreSQL size such as `2GB`) is the build's `maintenance_work_mem`: an HNSW build much
    /// larger than it spills and slows down. Returns the indexes afterwards.
    package func buildVectorIndexes(
        maintenanceMemory: String? = nil,
        progress: @escaping @Sendable (MemoryVectorIndex, MemoryIndexProgress) -> Void = { _, _ in }
    ) async throws -> [MemoryVectorIndex] {
        guard database.dialect == .postgres else { return [] }
        if let maintenanceMemory, !Self.isPostgresSize(maintenanceMemory) {
            throw StoreError.invalid("maintenance memory '\(maintenanceMemory)' is not a size such as 512MB or 2GB")
        }
        for index in try await vectorIndexes() where index.state == .missing || index.state == .invalid {
            try await database.withSession { session in
                try await session.write { db in
                    if index.state == .invalid {
                        try await db.raw("DROP INDEX CONCURRENTLY IF EXISTS \(unsafeRaw: index.name)").run()
                    }
                    if let maintenanceMemory {
                        try await db.raw("SET maintenance_work_mem = '\(unsafeRaw: maintenanceMemory)'").run()
                    }
                    let watcher = Task { await watch(index, progress) }
                    defer { watcher.cancel() }
                    try await db.raw(
                        """
                        CREATE INDEX CONCURRENTLY IF NOT EXISTS \(unsafeRaw: index.name) ON memories
                        USING hnsw ((embedding::vector(\(literal: index.dimension))) vector_cosine_ops)
                        WHERE dimension = \(literal: index.dimension)
                        """
                    ).run()
                    if maintenanceMemory != nil { try await db.raw("RESET maintenance_work_mem").run() }
                }
            }
        }
        return try await vectorIndexes()
    }

    /// Reports the build of `index` from another connection until cancelled. Progress is only
    /// reported: when it cannot be read, that is reported once and the build goes on.
    private func watch(
        _ index: MemoryVectorIndex, _ progress: @Sendable (MemoryVectorIndex, MemoryIndexProgress) -> Void
    ) async {
        do {
            try await watchProgress(index, progress)
        } catch is CancellationError {
            return  // the build ended
        } catch {
            progress(index, MemoryIndexProgress(phase: "progress not available: \(error)", done: 0, total: 0))
        }
    }

    private func watchProgress(
        _ index: MemoryVectorIndex, _ progress: @Sendable (MemoryVectorIndex, MemoryIndexProgress) -> Void
    ) async throws {
        while true {
            try await sleepReleasingTimer(for: .seconds(1))
            let row = try await database.read { db in
                try await db.raw(
                    """
                    SELECT p.phase, CASE WHEN p.tuples_total > 0 THEN p.tuples_done ELSE p.blocks_done END AS done,
                        CASE WHEN p.tuples_total > 0 THEN p.tuples_total ELSE p.blocks_total END AS total
                    FROM pg_stat_progress_create_index p JOIN pg_class c ON c.oid = p.index_relid
                    WHERE c.relname = \(bind: index.name) AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
                    """
                ).first()
            }
            guard let row else { continue }
            progress(
                index,
                MemoryIndexProgress(
                    phase: try row.decode(column: "phase", as: String.self),
                    done: try row.decode(column: "done", as: Int64.self),
                    total: try row.decode(column: "total", as: Int64.self)))
        }
    }

    static let indexNamePrefix = "memories_embedding_hnsw_"

    /// The name of `dimension`'s index, as ``PostgresMemoryVectors/ensureIndex(dimension:for:_:)`` makes it.
    static func indexName(_ dimension: Int) -> String { indexNamePrefix + String(dimension) }

    /// A PostgreSQL memory size: digits, then one of kB, MB, GB, TB (or none: kilobytes).
    static func isPostgresSize(_ text: String) -> Bool {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 12 else { return false }
        return ["", "kB", "MB", "GB", "TB"].contains(String(text.dropFirst(digits.count)))
    }
}
