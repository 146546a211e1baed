import TernCore

/// Runs a store operation, turning driver errors into ``StoreError``s (typed ones pass through):
/// a unique-key violation becomes ``StoreError/conflict(_:)`` on SQLite as on PostgreSQL.
func mapErrors<T: Sendable>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as StoreError {
        throw error
    } catch is CancellationError {
        throw CancellationError()
    } catch let error as SQLiteStatementError where error.isUniquenessViolation {
        throw StoreError.conflict(error.message)
    } catch {
        throw StoreError.database(String(describing: error))
    }
}
