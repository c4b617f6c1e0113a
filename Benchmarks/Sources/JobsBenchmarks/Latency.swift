import Logging
import Synchronization
import WirebankJobs
import WirebankPostgres

/// Enqueue → start latency: single jobs, each enqueued in its own transaction while an idle
/// worker waits; the sweep is set to a minute, so only LISTEN/NOTIFY can start a job in time.
struct LatencyResult {
  /// Handler start − the moment COMMIT returned to the enqueuer (the brief's measure).
  var commitToStart: [Duration]
  /// Handler start − the moment the enqueuer called BEGIN (graphile-worker's "add → start").
  var callToStart: [Duration]
  /// Jobs that had not started 5 s after their COMMIT (a lost wake-up).
  var missed: Int
  var sweepInterval: Duration
}

enum LatencyBenchmark {
  static let kind = "ping"

  /// Runs `warmUp` unmeasured jobs and then `jobs` measured ones, one at a time.
  static func run(jobs: Int, warmUp: Int, pool: PostgresPool, logger: Logger) async throws
    -> LatencyResult
  {
    let starts = Mutex<[Int64: ContinuousClock.Instant]>([:])
    var configuration = JobWorker.Configuration()
    configuration.concurrency = 16
    configuration.sweepInterval = .seconds(60)
    let worker = JobWorker(
      pool: pool, configuration: configuration,
      handlers: [kind: { context in starts.withLock { $0[context.job.id] = .now } }],
      logger: logger)
    let running = Task { await worker.run() }
    defer { running.cancel() }
    await worker.waitUntilListening()

    var result = LatencyResult(
      commitToStart: [], callToStart: [], missed: 0, sweepInterval: configuration.sweepInterval)
    for index in 0..<(warmUp + jobs) {
      let called = ContinuousClock.now
      let enqueued = try await pool.withTransaction { transaction in
        try await JobQueue.enqueue(NewJob(kind: kind), in: transaction)
      }
      let committed = ContinuousClock.now
      guard let id = enqueued else {
        throw BenchmarkFailure("a job without a unique key was dropped")
      }
      // Polling only decides when to enqueue the next job; the handler took the time itself.
      var started: ContinuousClock.Instant? = nil
      while started == nil {
        started = starts.withLock { $0[id] }
        if started == nil {
          guard ContinuousClock.now - committed < .seconds(5) else { break }
          try await Task.sleep(for: .microseconds(200))
        }
      }
      guard let started else {
        result.missed += 1
        continue
      }
      if index >= warmUp {
        result.commitToStart.append(started - committed)
        result.callToStart.append(started - called)
      }
    }
    running.cancel()
    await running.value
    return result
  }
}

extension [Duration] {
  /// The nearest-rank percentile `p` (0…1) in milliseconds; NaN when empty.
  func percentileMilliseconds(_ p: Double) -> Double {
    guard !isEmpty else { return .nan }
    let sorted = self.sorted()
    let rank = Swift.max(1, Int((p * Double(count)).rounded(.up)))
    return sorted[Swift.min(count, rank) - 1].seconds * 1000
  }
}

extension Duration {
  var seconds: Double {
    let (seconds, attoseconds) = components
    return Double(seconds) + Double(attoseconds) / 1e18
  }
}

/// The benchmark found the jobs layer misbehaving; its figures would mean nothing.
struct BenchmarkFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
