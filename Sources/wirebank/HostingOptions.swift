import ArgumentParser
import WirebankHost

/// Where the Lending services keep their data: `--database-url`, else an embedded PostgreSQL
/// under `--state-dir`.
struct DatabaseOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "A PostgreSQL URL. {service} in it stands for origination, scoring or product_engine "
        + "(one database per service). Without it, an embedded PostgreSQL runs under --state-dir.",
      valueName: "url"))
  var databaseURL: String?

  @Option(help: ArgumentHelp("The embedded PostgreSQL's folder.", valueName: "path"))
  var stateDir = ".state"

  /// The source: the URL, or the embedded cluster with `settings`.
  func source(embeddedSettings settings: [String: String] = [:]) -> DatabaseSource {
    if let databaseURL { return .url(databaseURL) }
    return .embedded(stateDirectory: stateDir, settings: settings)
  }
}

/// How each hosted service runs: pool, job worker timings, call timeouts.
struct NodeTuningOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Database connections per service.", valueName: "n"))
  var poolSize = 12

  @Option(help: ArgumentHelp("Jobs run at once per service.", valueName: "n"))
  var jobConcurrency = 32

  @Option(
    help: ArgumentHelp(
      "Seconds a claimed job stays reserved; a killed process's jobs are retried after this.",
      valueName: "seconds"))
  var jobLease: Double = 30

  @Option(
    help: ArgumentHelp(
      "The longest delay between retries of a failing job, in seconds.", valueName: "seconds"))
  var retryMaxDelay: Double = 30

  @Option(
    help: ArgumentHelp(
      "Seconds between fallback polls for due jobs (NOTIFY starts new jobs at once).",
      valueName: "seconds"))
  var sweepInterval: Double = 5

  @Option(
    help: ArgumentHelp(
      "Least seconds between two claims of a job worker: under load each claim takes the jobs "
        + "that arrived meanwhile (0: a claim at every wake-up).",
      valueName: "seconds"))
  var claimSpacing: Double = 0.01

  @Option(
    help: ArgumentHelp(
      "Most seconds a finished job's completion waits to be written with others (0: at once).",
      valueName: "seconds"))
  var completionDelay: Double = 0.01

  @Option(help: ArgumentHelp("Timeout of each call to a peer, in seconds.", valueName: "seconds"))
  var peerTimeout: Double = 10

  @Option(
    help: ArgumentHelp(
      "Seconds graceful shutdown lets calls in flight finish.", valueName: "seconds"))
  var shutdownGrace: Double = 10

  func validate() throws {
    guard poolSize >= 2 else { throw ValidationError("--pool-size must be at least 2") }
    guard jobConcurrency >= 1 else { throw ValidationError("--job-concurrency must be positive") }
    for (name, value) in [
      ("--job-lease", jobLease), ("--retry-max-delay", retryMaxDelay),
      ("--sweep-interval", sweepInterval), ("--peer-timeout", peerTimeout),
    ] where !(value > 0) {
      throw ValidationError("\(name) must be positive")
    }
    for (name, value) in [
      ("--claim-spacing", claimSpacing), ("--completion-delay", completionDelay),
    ]
    where !(value >= 0 && value <= 1) {
      throw ValidationError("\(name) must be between 0 and 1 second")
    }
  }

  /// The options of a service listening on `host:port`.
  func options(host: String, port: Int) -> LendingNodeOptions {
    var options = LendingNodeOptions()
    options.host = host
    options.port = port
    options.poolSize = poolSize
    options.jobConcurrency = jobConcurrency
    options.jobLease = .seconds(jobLease)
    options.retryMaximumDelay = .seconds(retryMaxDelay)
    options.sweepInterval = .seconds(sweepInterval)
    options.claimSpacing = .seconds(claimSpacing)
    options.completionDelay = .seconds(completionDelay)
    options.peerCallTimeout = .seconds(peerTimeout)
    options.shutdownGracePeriod = .seconds(max(0, shutdownGrace))
    return options
  }
}

extension LendingService: ExpressibleByArgument {
  /// The service named `argument` on the command line.
  public init?(argument: String) { self.init(rawValue: argument) }

  /// The names the command line accepts.
  public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
