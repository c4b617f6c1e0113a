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

/// Runs `operation`, failing with `TimedOut` if it takes longer than `timeout`.
public func withTimeout<Value: Sendable>(
  _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
  try await withThrowingTaskGroup(of: Value.self) { group in
    group.addTask { try await operation() }
    group.addTask {
      try await Task.sleep(for: timeout)
      throw TimedOut(what: "an operation bounded by \(timeout)")
    }
    defer { group.cancelAll() }
    guard let value = try await group.next() else { throw TimedOut() }
    return value
  }
}

/// A condition or an operation that did not finish in time.
public struct TimedOut: Error, CustomStringConvertible {
  /// What was waited for.
  public var what: String

  /// A timeout for `what`.
  public init(what: String = "an operation") { self.what = what }

  /// `timed out waiting for <what>`.
  public var description: String { "timed out waiting for \(what)" }
}

/// A one-shot signal a test can wait for, within a bound.
public final class Signal<Value: Sendable>: Sendable {
  private let stream: AsyncStream<Value>
  private let continuation: AsyncStream<Value>.Continuation

  /// A signal not fired yet.
  public init() {
    (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(1))
  }

  /// Fires the signal (only the first value counts).
  public func fire(_ value: Value) {
    continuation.yield(value)
    continuation.finish()
  }

  /// The fired value; fails with `TimedOut` after `timeout` without one.
  public func wait(timeout: Duration = .seconds(10)) async throws -> Value {
    try await withTimeout(timeout) {
      for await value in self.stream { return value }
      throw TimedOut(what: "a signal")
    }
  }
}

extension Signal where Value == Void {
  /// Fires the signal.
  public func fire() { fire(()) }
}
