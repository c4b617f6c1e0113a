import LendingOrigination
import LendingProductEngine
import LendingScoring
import WirebankJobs
import WirebankPostgres

/// How one hosted Lending service runs: its listener, database pool and job worker.
public struct LendingNodeOptions: Sendable, Hashable {
  /// The address the gRPC server binds.
  public var host = "127.0.0.1"
  /// The port; 0 picks a free one.
  public var port = 0
  /// Database connections at most (each one also a libpq thread).
  public var poolSize = 12
  /// Jobs run at once, at most.
  public var jobConcurrency = 32
  /// How long a claimed job stays reserved: a killed process's jobs are taken over after this.
  public var jobLease: Duration = .seconds(30)
  /// The longest delay between retries of a failing job.
  public var retryMaximumDelay: Duration = .seconds(30)
  /// The fallback poll for due jobs (NOTIFY starts new ones at once).
  public var sweepInterval: Duration = .seconds(5)
  /// The least time between two claims of a service's job worker (see
  /// `JobWorker.Configuration.claimSpacing`).
  public var claimSpacing: Duration = .milliseconds(10)
  /// How long a job's completion may wait to share a statement with others (see
  /// `JobWorker.Configuration.completionDelay`).
  public var completionDelay: Duration = .milliseconds(10)
  /// The timeout of each call a job makes to a peer.
  public var peerCallTimeout: Duration = .seconds(10)
  /// How long graceful shutdown lets calls in flight finish.
  public var shutdownGracePeriod: Duration = .seconds(10)

  /// The defaults.
  public init() {}

  /// The job worker settings for the queue `queue`.
  func jobWorker(queue: String) -> JobWorker.Configuration {
    var configuration = JobWorker.Configuration()
    configuration.queue = queue
    configuration.concurrency = jobConcurrency
    configuration.lease = jobLease
    configuration.sweepInterval = sweepInterval
    configuration.claimSpacing = claimSpacing
    configuration.completionDelay = completionDelay
    configuration.retryBackoff = Backoff(
      initial: .milliseconds(100), maximum: max(retryMaximumDelay, .milliseconds(100)))
    return configuration
  }

  var originationConfiguration: OriginationRuntime.Configuration {
    var configuration = OriginationRuntime.Configuration()
    configuration.jobWorker = jobWorker(queue: OriginationRuntime.defaultJobQueue)
    configuration.peerCallTimeout = peerCallTimeout
    return configuration
  }

  var scoringConfiguration: ScoringRuntime.Configuration {
    var configuration = ScoringRuntime.Configuration()
    configuration.jobWorker = jobWorker(queue: ScoringRuntime.defaultJobQueue)
    configuration.peerCallTimeout = peerCallTimeout
    return configuration
  }

  var productEngineConfiguration: ProductEngineRuntime.Configuration {
    var configuration = ProductEngineRuntime.Configuration()
    configuration.jobWorker = jobWorker(queue: ProductEngineRuntime.defaultJobQueue)
    return configuration
  }
}
