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
        /// Being built (`CREATE INDEX CONCURRENTLY` running): recall searches exactly until it ends.
        case building
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

    /// Missing or invalid: recall cannot use it, and a rebuild would build it.
    package var needsBuild: Bool { state == .missing || state == .invalid }

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
                SELECT c.relname AS name, i.indisvalid AS valid, pg_relation_size(c.oid) AS bytes,
                    EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = c.oid) AS building
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
            guard let dimension = Int(name.dropFirst(Self.indexNamePrefix.count)), name == Self.indexName(dimension)
            else { continue }
            let state: MemoryVectorIndex.State =
                if try row.decode(column: "valid", as: Bool.self) {
                    .ready
                } else if try row.decode(column: "building", as: Bool.self) {
                    .building
                } else {
                    .invalid
                }
            indexes[dimension] = MemoryVectorIndex(
                dimension: dimension, name: name, state: state,
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

    /// Builds every missing or invalid HNSW index of ``vectorIndexes()`` (of `dimensions` only,
    /// when given) with `CREATE INDEX CONCURRENTLY`: writes to `memories` go on meanwhile; an
    /// invalid one is dropped first. `progress` is called about once a second while each builds.
    /// `maintenanceMemory` (a PostgreSQL size such as `2GB`) is the build's
    /// `maintenance_work_mem`: an HNSW build much larger than it spills and slows down. Returns
    /// the indexes afterwards.
    ///
    /// One build at a time per database: a second one (another `tern memory index --rebuild`, or
    /// a second `--defer-index` load ending) is refused with ``StoreError/conflict(_:)`` instead of
    /// waiting, since a `CREATE INDEX CONCURRENTLY` waits for every transaction open when it
    /// starts, a waiting builder's included.
    package func buildVectorIndexes(
        dimensions: Set<Int>? = nil, maintenanceMemory: String? = nil,
        progress: @escaping @Sendable (MemoryVectorIndex, MemoryIndexProgress) -> Void = { _, _ in }
    ) async throws -> [MemoryVectorIndex] {
        guard database.dialect == .postgres else { return [] }
        if let maintenanceMemory, Self.postgresKilobytes(maintenanceMemory).map(Self.maintenanceMemoryRange.contains) != true {
            throw StoreError.invalid(
                "maintenance memory '\(maintenanceMemory)' is not a size from 1MB to 2TB such as 512MB or 2GB")
        }
        try await database.withSession { session in
            try await session.write { db in
                let locked = try await db.raw("SELECT pg_try_advisory_lock(\(bind: Self.buildLockKey)) AS locked").first()
                guard try locked?.decode(column: "locked", as: Bool.self) == true else {
                    throw StoreError.conflict(
                        "another memory vector index build is running on this database; run tern memory index "
                            + "--rebuild when it has ended")
                }
                do {
                    try await build(db, dimensions: dimensions, maintenanceMemory: maintenanceMemory, progress: progress)
                } catch {
                    try? await db.raw("SELECT pg_advisory_unlock(\(bind: Self.buildLockKey))").run()
                    throw error
                }
                try await db.raw("SELECT pg_advisory_unlock(\(bind: Self.buildLockKey))").run()
            }
        }
        return try await vectorIndexes()
    }

    /// The builds of ``buildVectorIndexes(dimensions:maintenanceMemory:progress:)``, holding its lock.
    private func build(
        _ db: any SQLDatabase, dimensions: Set<Int>?, maintenanceMemory: String?,
        progress: @escaping @Sendable (MemoryVectorIndex, MemoryIndexProgress) -> Void
    ) async throws {
        // Read under the lock: what another build finished meanwhile is not built again.
        let due = try await vectorIndexes().filter { index in
            index.needsBuild && dimensions.map { $0.contains(index.dimension) } ?? true
        }
        guard !due.isEmpty else { return }
        if let maintenanceMemory {
            try await db.raw("SET maintenance_work_mem = '\(unsafeRaw: maintenanceMemory)'").run()
        }
        do {
            for index in due {
                if index.state == .invalid {
                    try await db.raw("DROP INDEX CONCURRENTLY IF EXISTS \(unsafeRaw: index.name)").run()
                }
                let watcher = Task { await watch(index, progress) }
                do {
                    try await db.raw(
                        """
                        CREATE INDEX CONCURRENTLY IF NOT EXISTS \(unsafeRaw: index.name) ON memories
                        USING hnsw ((embedding::vector(\(literal: index.dimension))) vector_cosine_ops)
                        WHERE dimension = \(literal: index.dimension)
                        """
                    ).run()
                } catch {
                    watcher.cancel()
                    await watcher.value
                    throw error
                }
                watcher.cancel()
                await watcher.value
            }
        } catch {
            // The pooled connection must not keep the setting; the build's error is what matters.
            if maintenanceMemory != nil { try? await db.raw("RESET maintenance_work_mem").run() }
            throw error
        }
        if maintenanceMemory != nil { try await db.raw("RESET maintenance_work_mem").run() }
    }

    /// Reports the build of `index` from another connection until cancelled. Progress is only
    /// reported: when it cannot be read, that is reported once and the build goes on.
    private func watch(
        _ index: MemoryVectorIndex, _ progress: @Sendable (MemoryVectorIndex, MemoryIndexProgress) -> Void
    ) async {
        do {
            try await watchProgress(index, progress)
        } catch {
            // Cancelled: the build ended (a read in flight then fails too). Otherwise say so once.
            guard !Task.isCancelled, !(error is CancellationError) else { return }
            progress(index, MemoryIndexProgress(phase: "progress not available: \(error)", done: 0, total: 0))
        }
    }

    private func watchProgress(
        _ index: MemoryVectorIndex, _ progress: @Sendable (MemoryVectorIndex, MemoryIndexProgress) -> Void
    ) async throws {
        while true {
            try await sleepReleasingTimer(for: .seconds(1))
            try Task.checkCancellation()
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
            guard let row, !Task.isCancelled else { continue }
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

    /// The key of the session lock one index build holds ("ternmemb").
    static let buildLockKey: Int64 = 0x7465_726E_6D65_6D62

    /// What PostgreSQL accepts for `maintenance_work_mem`, in kilobytes (1MB to 2TB − 1kB).
    static let maintenanceMemoryRange: ClosedRange<Int64> = 1024...2_147_483_647

    /// A PostgreSQL memory size in kilobytes: digits, then one of kB, MB, GB, TB (or none:
    /// kilobytes); `nil` for anything else.
    static func postgresKilobytes(_ text: String) -> Int64? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 12, let number = Int64(digits) else { return nil }
        let units: [String: Int64] = ["": 1, "kB": 1, "MB": 1024, "GB": 1024 * 1024, "TB": 1024 * 1024 * 1024]
        guard let unit = units[String(text.dropFirst(digits.count))] else { return nil }
        let (kilobytes, overflow) = number.multipliedReportingOverflow(by: unit)
        return overflow ? nil : kilobytes
    }
}
