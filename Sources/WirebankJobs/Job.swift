#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// A job to enqueue: what to do (`kind` + `payload`), where, and how often to try.
public struct NewJob: Sendable, Hashable {
  /// The handler that runs it.
  public var kind: String
  /// The handler's input (typically an encoded Protobuf message).
  public var payload: [UInt8]
  /// The queue; workers serve one queue each.
  public var queue: String
  /// Deduplicates: a second job with the same key is not enqueued (while the first is kept).
  public var uniqueKey: String?
  /// The earliest start; `nil` for now (by the database clock).
  public var runAt: Date?
  /// Attempts before the job is declared dead.
  public var maxAttempts: Int

  /// A job description.
  public init(
    kind: String, payload: [UInt8] = [], queue: String = "default", uniqueKey: String? = nil,
    runAt: Date? = nil, maxAttempts: Int = 20
  ) {
    self.kind = kind
    self.payload = payload
    self.queue = queue
    self.uniqueKey = uniqueKey
    self.runAt = runAt
    self.maxAttempts = max(1, maxAttempts)
  }
}

/// A claimed job, as its handler sees it.
public struct Job: Sendable, Hashable {
  /// The job's id.
  public var id: Int64
  /// The handler that runs it.
  public var kind: String
  /// The handler's input.
  public var payload: [UInt8]
  /// This attempt's number, from 1.
  public var attempt: Int
  /// Attempts allowed in all.
  public var maxAttempts: Int
  /// The deduplication key it was enqueued with, if any.
  public var uniqueKey: String?
  /// When it was enqueued.
  public var createdAt: Date
  /// Whether an earlier attempt may have run part of the handler: it failed, its worker stopped
  /// during it, or its worker was lost. False the first time a job starts, so a handler whose
  /// effects elsewhere cannot be read back knows that nothing of it happened yet.
  public var mayHaveRunBefore = false
}

/// Where a job is in its life.
public enum JobState: String, Sendable, Hashable {
  /// Waiting to start (first time or for a retry).
  case pending
  /// Claimed by a worker under a lease.
  case running
  /// Done.
  case succeeded
  /// Failed `maxAttempts` times; kept with its last error for a person to look at. A person
  /// who revives one by hand sets `finished_at` to NULL with the state: only jobs without it
  /// are claimed.
  case dead
}

/// Errors of the jobs layer itself.
public struct JobError: Error, Sendable, CustomStringConvertible {
  /// What went wrong.
  public enum Reason: Sendable, Hashable {
    /// The job's lease ended and another worker took it: this attempt's results are void.
    case leaseLost
  }

  /// What went wrong.
  public var reason: Reason
  /// The job concerned.
  public var jobID: Int64

  /// A sentence naming the job.
  public var description: String {
    switch reason {
    case .leaseLost: return "job \(jobID) lost its lease to another worker; its work rolled back"
    }
  }
}

/// The time of day, injected so that schedules and expiries can be tested.
public protocol WallClock: Sendable {
  /// The current time.
  func now() -> Date
}

/// The system's clock.
public struct SystemWallClock: WallClock {
  /// The system's clock.
  public init() {}
  /// `Date()`.
  public func now() -> Date { Date() }
}
