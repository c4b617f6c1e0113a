/// Exponential back-off with jitter, for retrying transactions, reconnecting and rescheduling jobs.
///
/// The delay before retry `n` is `initial · 2^(n−1)`, capped at `maximum`; half of it is fixed and
/// half random ("equal jitter"), so replicas that failed together do not retry together.
public struct Backoff: Sendable, Hashable {
  /// The delay before the first retry, before jitter.
  public var initial: Duration
  /// The largest delay, before jitter.
  public var maximum: Duration

  /// A back-off starting at `initial` and doubling up to `maximum`.
  public init(initial: Duration, maximum: Duration) {
    self.initial = initial
    self.maximum = max(initial, maximum)
  }

  /// The delay before retry number `attempt` (1 for the first retry).
  public func delay(forAttempt attempt: Int) -> Duration {
    var generator = SystemRandomNumberGenerator()
    return delay(forAttempt: attempt, using: &generator)
  }

  /// The delay before retry number `attempt`, drawing the jitter from `generator`.
  public func delay(
    forAttempt attempt: Int, using generator: inout some RandomNumberGenerator
  ) -> Duration {
    let ceiling = cappedDelay(forAttempt: attempt)
    let half = ceiling / 2
    let jitter = Double.random(in: 0...1, using: &generator)
    return half + half * jitter
  }

  /// The delay before retry `attempt` without jitter (the upper bound of `delay(forAttempt:)`).
  public func cappedDelay(forAttempt attempt: Int) -> Duration {
    let exponent = min(max(attempt - 1, 0), 62)
    let factor = Double(UInt64(1) << UInt64(exponent))
    let seconds = min(initial.seconds * factor, maximum.seconds)
    return .nanoseconds(Int64(seconds * 1e9))
  }
}

extension Duration {
  /// The duration in seconds, as a floating-point number.
  var seconds: Double {
    let (seconds, attoseconds) = components
    return Double(seconds) + Double(attoseconds) / 1e18
  }
}
