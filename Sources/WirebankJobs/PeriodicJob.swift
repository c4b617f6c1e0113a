#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// A job that runs once per period (like a cron entry), however many replicas are running.
///
/// Periods are aligned to the Unix epoch plus `offset`: `every: .seconds(86_400)` with
/// `offset: .seconds(3 * 3600)` runs daily at 03:00 UTC. Each period's job carries the unique key
/// `periodic:<kind>:<period start>`, so replicas enqueueing it together create one job. A period
/// during which no worker ran is skipped, not caught up.
public struct PeriodicJob: Sendable, Hashable {
  /// The handler that runs it.
  public var kind: String
  /// The length of a period.
  public var period: Duration
  /// Where periods start, from the epoch.
  public var offset: Duration
  /// The handler's input.
  public var payload: [UInt8]
  /// Attempts before the period's job is declared dead.
  public var maxAttempts: Int

  /// A job of `kind` once every `period` (at least one second).
  public init(
    kind: String, every period: Duration, offset: Duration = .zero, payload: [UInt8] = [],
    maxAttempts: Int = 5
  ) {
    self.kind = kind
    self.period = max(period, .seconds(1))
    self.offset = offset
    self.payload = payload
    self.maxAttempts = maxAttempts
  }

  /// The start of the period that contains `date`.
  public func periodStart(containing date: Date) -> Date {
    let length = Double(period.components.seconds)
    let shift = Double(offset.components.seconds)
    let index = ((date.timeIntervalSince1970 - shift) / length).rounded(.down)
    return Date(timeIntervalSince1970: index * length + shift)
  }

  /// The deduplication key of the period starting at `start`.
  public func uniqueKey(forPeriodStarting start: Date) -> String {
    "periodic:\(kind):\(Int64(start.timeIntervalSince1970))"
  }

  /// The job to enqueue for the period containing `date`.
  public func job(for date: Date, queue: String) -> NewJob {
    NewJob(
      kind: kind, payload: payload, queue: queue,
      uniqueKey: uniqueKey(forPeriodStarting: periodStart(containing: date)),
      maxAttempts: maxAttempts)
  }
}
