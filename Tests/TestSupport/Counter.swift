import Synchronization

/// A counter tasks can share, which remembers the highest value it reached.
public final class Counter: Sendable {
  private let value = Atomic<Int>(0)
  private let highest = Mutex(0)

  /// A counter at zero.
  public init() {}

  /// Adds one and returns the new value.
  @discardableResult public func increment() -> Int {
    let now = value.wrappingAdd(1, ordering: .relaxed).newValue
    highest.withLock { $0 = max($0, now) }
    return now
  }

  /// Subtracts one.
  public func decrement() { value.wrappingSubtract(1, ordering: .relaxed) }

  /// The value now.
  public var current: Int { value.load(ordering: .relaxed) }

  /// The highest value reached.
  public var peak: Int { highest.withLock { $0 } }
}
