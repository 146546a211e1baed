import Testing
import TernCore
import TernStore

// The one backend harness of the store tests. A contract suite takes its arguments from
// `StoreBackend.allCases` (the memory fake from TernTesting, SQLite, PostgreSQL) and builds its
// store with `backend.withStore(memory:sql:_:)`; tests of what only SQL can check (cascades,
// unknown foreign keys, stored bytes) take `SQLBackend.allCases` and `backend.withStore(_:_:)`,
// which also hands them the database.

/// Where a store contract test runs: the memory fake always, SQLite always, PostgreSQL when
/// `TERN_TEST_POSTGRES_URL` is set (scripts/test and CI set it).
enum StoreBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite, postgres

    static var allCases: [StoreBackend] { [.memory] + SQLBackend.allCases.map(\.storeBackend) }

    var testDescription: String { rawValue }

    /// The SQL backend this is, or `nil` for the memory fake.
    var sqlBackend: SQLBackend? {
        switch self {
        case .memory: nil
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// Runs `body` with a fresh store of this backend: `memory()` for the memory fake, else what
    /// `sql` builds on a fresh database as ``SQLBackend/withStore(_:_:)`` makes it.
    func withStore<Store>(
        memory: () async throws -> Store, sql: (any DatabaseHandle) async throws -> Store,
        _ body: (Store) async throws -> Void
    ) async throws {
        guard let sqlBackend else { return try await body(memory()) }
        try await sqlBackend.withStore(sql) { store, _ in try await body(store) }
    }
}

/// The SQL backends a database test runs on: SQLite always, PostgreSQL when
/// `TERN_TEST_POSTGRES_URL` is set.
enum SQLBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    static var allCases: [SQLBackend] { PostgresTestServer.isAvailable ? [.sqlite, .postgres] : [.sqlite] }

    var testDescription: String { rawValue }

    /// The same backend in the list the contract suites take.
    var storeBackend: StoreBackend {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// The context next to the default one in every database ``withStore(_:_:)`` makes, for the
    /// tests that check one context cannot see another's rows.
    static let contextB: ContextID = "00000000-0000-0000-0000-00000000000b"

    /// Runs `body` with what `make` builds on a fresh, migrated database of this backend in which
    /// the default context and ``contextB`` (named `b`) exist, and with that database; removes the
    /// database afterwards.
    func withStore<Store>(
        _ make: (any DatabaseHandle) async throws -> Store, _ body: (Store, any DatabaseHandle) async throws -> Void
    ) async throws {
        try await withTemporaryDatabase(self, secondContext: Self.contextB) { database throws in
            try await body(make(database), database)
        }
    }
}
