// The embedded cluster, `waitUntil` and `withPool` come from the shared test-support target;
// re-exported so that every file of this suite sees them without importing it.
@_exported import PostgresTestSupport
import Synchronization

/// A counter tasks can share.
final class Counter: Sendable {
  private let value = Atomic<Int>(0)
  private let highest = Mutex(0)
  /// Adds one and returns the new value.
  @discardableResult func increment() -> Int {
    let now = value.wrappingAdd(1, ordering: .relaxed).newValue
    highest.withLock { $0 = max($0, now) }
    return now
  }
  /// The highest value reached.
  var peak: Int { highest.withLock { $0 } }
  /// Subtracts one.
  func decrement() { value.wrappingSubtract(1, ordering: .relaxed) }
  var current: Int { value.load(ordering: .relaxed) }
}
