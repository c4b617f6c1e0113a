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
public func withPool<Result: Sendable>(
  _ pool: PostgresPool, _ body: (PostgresPool) async throws -> Result
) async throws -> Result {
  do {
    let result = try await body(pool)
    await pool.close()
    return result
  } catch {
    await pool.close()
    throw error
  }
}
