import PostgresNIO
import TernCore

extension PostgresDatabase {
    /// Leases a connection for `body`, failing after ``acquireTimeout`` if none comes.
    ///
    /// Only the wait for the lease is bounded: once `body` has its connection it may run as
    /// long as its statements take. When a known connection is idle (``PostgresLeaseGate``), the
    /// lease runs in the caller's task with no timer: the pool hands the connection over at once.
    /// Otherwise a helper task waits in the pool, raced against a ``DeadlineTimer`` that is
    /// cancelled as soon as the connection arrives (``PostgresLeaseWait``); the timer ends the
    /// caller's wait, never cancels the caller. Either way `body` runs in the caller's task, and a
    /// caller cancelled while waiting stops waiting at once.
    func withLease<T: Sendable>(_ body: @Sendable (PostgresSession) async throws -> T) async throws -> T {
        switch gate.enter() {
        case .closed:
            throw StoreError.database("the connection pool to PostgreSQL at \(url.location) is closed")
        case .idleConnection:
            defer { gate.leave() }
            var leased = false
            do {
                return try await client.withConnection { connection in
                    leased = true
                    gate.saw(connection)
                    return try await body(session(on: connection))
                }
            } catch {
                throw mapLeaseError(error, leased: leased)
            }
        case .wait:
            defer { gate.leave() }
            return try await leaseWaiting(body)
        }
    }

    /// The bounded wait: a helper task waits in the pool and hands the connection over; `body`
    /// runs in the caller's task. A timeout or the caller's cancellation ends the wait at once and
    /// cancels the helper's request without waiting for the pool to confirm it.
    private func leaseWaiting<T: Sendable>(_ body: @Sendable (PostgresSession) async throws -> T) async throws -> T {
        let wait = PostgresLeaseWait()
        let client = self.client
        let gate = self.gate
        let helper = Task {
            do {
                try await client.withConnection { connection in
                    // Too late (timed out, cancelled): the connection goes back unused.
                    guard wait.hand(connection) else { return }
                    gate.saw(connection)
                    await wait.heldUntilReturned()
                }
            } catch {
                wait.fail(error)
            }
        }
        wait.arm(timeout: acquireTimeout)
        let connection: PostgresConnection
        do {
            connection = try await withTaskCancellationHandler {
                try await wait.connection()
            } onCancel: {
                wait.abandon()
            }
        } catch is PostgresLeaseTimedOut {
            helper.cancel()
            throw StoreError.database(
                "no connection to PostgreSQL at \(url.location) within \(acquireTimeout): "
                    + "the server is unreachable or every connection is busy")
        } catch {
            helper.cancel()
            throw mapLeaseError(error, leased: false)
        }
        do {
            let value = try await body(session(on: connection))
            wait.giveBack()
            await helper.value
            return value
        } catch {
            wait.giveBack()
            await helper.value
            throw mapLeaseError(error, leased: true)
        }
    }

    private func session(on connection: PostgresConnection) -> PostgresSession {
        PostgresSession(connection: connection, location: url.location, logger: logger)
    }

    /// The driver's errors as ``StoreError``s; the pool's own errors (e.g. shut down while
    /// waiting) are not PSQLErrors and say that no connection came.
    private func mapLeaseError(_ error: any Error, leased: Bool) -> any Error {
        switch error {
        case let error as PSQLError:
            return PostgresErrors.map(error, location: url.location)
        case is StoreError, is CancellationError:
            return error
        default:
            guard !leased else { return error }
            // The pool ends a cancelled caller's wait with its own `requestCancelled`.
            if Task.isCancelled { return CancellationError() }
            return StoreError.database(
                "no connection to PostgreSQL at \(url.location): \(PostgresErrors.describe(error))")
        }
    }
}
