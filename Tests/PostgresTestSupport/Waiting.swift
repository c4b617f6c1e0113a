@_exported import TestSupport
import WirebankPostgres

/// Runs `body` with `pool` and closes the pool afterwards, whatever happens.
///
/// Closing waits for every leased connection to come back, so a statement that never gets its
/// answer would hang the test: after `closeTimeout` it fails with `TimedOut` instead.
public func withPool<Result: Sendable>(
  _ pool: PostgresPool, closeTimeout: Duration = .seconds(30),
  _ body: (PostgresPool) async throws -> Result
) async throws -> Result {
  let result: Result
  do {
    result = try await body(pool)
  } catch {
    try? await close(pool, within: closeTimeout)
    throw error
  }
  try await close(pool, within: closeTimeout)
  return result
}

/// Closes `pool`, failing with `TimedOut` when its leased connections are not all back within
/// `timeout` (the close then goes on in the background).
public func close(_ pool: PostgresPool, within timeout: Duration) async throws {
  let closed = Signal<Void>()
  Task {
    await pool.close()
    closed.fire()
  }
  do {
    try await closed.wait(timeout: timeout)
  } catch is TimedOut {
    throw TimedOut(what: "the pool to close (every lease back)")
  }
}
