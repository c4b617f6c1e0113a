import Synchronization
import WirebankPostgres

/// Waits for `condition` to hold, checking every few milliseconds, failing after `timeout`.
/// - Throws: `TimedOut` naming `what`, or what `condition` throws.
public func waitUntil(
  timeout: Duration = .seconds(10), _ what: String = "condition",
  _ condition: () async throws -> Bool
) async throws {
  let deadline = ContinuousClock.now + timeout
  while try await !condition() {
    guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
    try await Task.sleep(for: .milliseconds(5))
  }
}

/// `waitUntil` with the longer default that suites running services need (a job worker or a
/// pipeline on a loaded machine).
public func eventually(
  timeout: Duration = .seconds(20), _ what: String, _ condition: () async throws -> Bool
) async throws {
  try await waitUntil(timeout: timeout, what, condition)
}

/// A condition that did not come true in time.
public struct TimedOut: Error, CustomStringConvertible {
  /// What was waited for.
  public var what: String

  /// A timeout for `what`.
  public init(what: String) { self.what = what }

  /// `timed out waiting for <what>`.
  public var description: String { "timed out waiting for \(what)" }
}

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
  let closed = ClosedFlag()
  Task {
    await pool.close()
    closed.set()
  }
  try await waitUntil(timeout: timeout, "the pool to close (every lease back)") { closed.isSet }
}

/// Set once, read by any task.
private final class ClosedFlag: Sendable {
  private let value = Atomic<Bool>(false)
  func set() { value.store(true, ordering: .releasing) }
  var isSet: Bool { value.load(ordering: .acquiring) }
}
