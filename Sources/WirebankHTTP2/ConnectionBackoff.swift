/// Exponential back-off between connection attempts, as grpc/grpc
/// `doc/connection-backoff.md` describes: each delay is the previous one times `multiplier`,
/// capped at `maximum`, then spread by ±`jitter`.
public struct ConnectionBackoff: Sendable, Hashable {
  /// The delay after the first failure.
  public var initial: Duration
  /// The largest delay.
  public var maximum: Duration
  /// How much each delay grows.
  public var multiplier: Double
  /// The relative spread of each delay (0.2: ±20%).
  public var jitter: Double

  /// Back-off with gRPC's defaults: 1 s, growing 1.6× up to 120 s, ±20%.
  public init(
    initial: Duration = .seconds(1), maximum: Duration = .seconds(120), multiplier: Double = 1.6,
    jitter: Double = 0.2
  ) {
    self.initial = initial
    self.maximum = maximum
    self.multiplier = multiplier
    self.jitter = jitter
  }

  /// The delay before attempt `attempt + 1`, after `attempt` consecutive failures (≥ 1).
  func delay(afterFailures attempt: Int, random: Double = Double.random(in: -1...1)) -> Duration {
    var seconds = initial.seconds
    for _ in 1..<max(attempt, 1) {
      seconds = min(seconds * multiplier, maximum.seconds)
    }
    seconds = min(seconds, maximum.seconds)
    return .seconds(max(0, seconds * (1 + jitter * random)))
  }
}

extension Duration {
  /// The duration in seconds, as a floating-point number.
  var seconds: Double {
    let (whole, fraction) = components
    return Double(whole) + Double(fraction) / 1e18
  }
}
