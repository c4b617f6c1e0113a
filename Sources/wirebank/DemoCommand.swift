import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WirebankContracts
import WirebankHTTP2
import WirebankHost
import WirebankRPC

/// `wirebank demo`: starts Lending on an embedded PostgreSQL, pushes a realistic batch of
/// applications through it over gRPC and prints what became of each.
struct DemoCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Run Lending end to end on a batch of applications and show what became of them.",
    discussion: """
      Starts Origination, Scoring and the Product Engine (each on its own free port and \
      database, calling each other over HTTP/2) on an embedded PostgreSQL in a fresh folder, \
      which is removed at the end (or in --state-dir, which is kept). Submits 44 \
      applications — some rejected by Scoring's rules, some submitted twice, some cancelled — \
      prints a line per second while they flow, then a table of every application with its \
      agreement and first payments. Exits non-zero if any check fails.
      """)

  @Option(
    help: ArgumentHelp(
      "Keep the data in this folder (default: a fresh, removed one).", valueName: "path"))
  var stateDir: String?

  @Option(help: "The seed of the batch: the same seed gives the same applicants and loans.")
  var seed: UInt64 = 2025

  @Option(help: ArgumentHelp("Seconds the submissions are spread over.", valueName: "seconds"))
  var pace: Double = 3

  @Option(help: ArgumentHelp("Seconds the applications may take to finish.", valueName: "seconds"))
  var timeout: Double = 40

  @Option(help: "Origination's port, the other two the next ones (0: free ports).")
  var basePort = 0

  func run() async throws {
    let logger = CommandLogging.logger(label: "wirebank.demo", defaultLevel: .warning)
    let started = ContinuousClock.now
    let folder = try stateDir ?? TemporaryFolder.make(prefix: "wirebank-demo-")
    let disposable = stateDir == nil
    Console.line("Wirebank Lending demo")
    Console.line("starting PostgreSQL in \(folder) …")
    let cluster: LendingCluster
    do {
      cluster = try await LendingCluster.start(
        database: .embedded(
          stateDirectory: folder,
          settings: disposable ? DatabaseSource.disposableClusterSettings : [:]),
        basePort: basePort, options: nodeOptions, logger: logger)
    } catch {
      if disposable { TemporaryFolder.remove(folder) }
      throw error
    }
    let databaseReady = ContinuousClock.now
    for service in LendingService.allCases {
      Console.line(
        "  \(service) on \(cluster.address(of: service)), database \(service.databaseName)")
    }
    let session = DemoSession(
      batch: DemoBatch(seed: seed), cluster: cluster, pace: .seconds(pace),
      timeout: .seconds(timeout))
    var failure: (any Error)?
    do {
      try await runGroup(cluster.services + [session], logger: logger)
    } catch {
      failure = error
    }
    await cluster.shutdown()
    if disposable && (cluster.databases.cluster?.startedByThisProcess ?? false) {
      TemporaryFolder.remove(folder)
    }
    let total = (ContinuousClock.now - started).secondsValue
    let setup = (databaseReady - started).secondsValue
    Console.line(
      String(format: "wall time %.1f s (PostgreSQL and services %.1f s)", total, setup))
    if let failure { throw failure }
    let outcome = session.outcome
    if let error = outcome.error {
      Console.line("demo FAILED: \(error)")
      throw ExitCode(1)
    }
    if !outcome.problems.isEmpty { throw ExitCode(1) }
  }

  private var nodeOptions: LendingNodeOptions {
    var options = LendingNodeOptions()
    options.poolSize = 8
    options.shutdownGracePeriod = .seconds(5)
    return options
  }

  /// Runs the services and the demo; the demo's end shuts the services down gracefully, as do
  /// SIGINT and SIGTERM.
  private func runGroup(_ services: [any Service], logger: Logger) async throws {
    let configurations = services.map { service in
      ServiceGroupConfiguration.ServiceConfiguration(
        service: service,
        successTerminationBehavior: service is DemoSession
          ? .gracefullyShutdownGroup : .cancelGroup,
        failureTerminationBehavior: .gracefullyShutdownGroup)
    }
    let group = ServiceGroup(
      configuration: ServiceGroupConfiguration(
        services: configurations, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
  }
}

/// The demo as a service next to the Lending services: waits until they are ready, drives the
/// batch through them and prints the report.
final class DemoSession: Service, Sendable {
  struct Outcome: Sendable {
    var problems: [String] = []
    var error: String?
  }

  let batch: DemoBatch
  let cluster: LendingCluster
  let pace: Duration
  let timeout: Duration
  private let result = Mutex(Outcome())

  init(batch: DemoBatch, cluster: LendingCluster, pace: Duration, timeout: Duration) {
    self.batch = batch
    self.cluster = cluster
    self.pace = pace
    self.timeout = timeout
  }

  var outcome: Outcome { result.withLock { $0 } }

  func run() async throws {
    let origination = HTTP2ClientTransport(
      host: cluster.address(of: .origination).host, port: cluster.address(of: .origination).port)
    let engine = HTTP2ClientTransport(
      host: cluster.address(of: .productEngine).host,
      port: cluster.address(of: .productEngine).port)
    do {
      try await cancelWhenGracefulShutdown {
        let deadline = ContinuousClock.now + .seconds(30)
        while !self.cluster.isReady {
          guard ContinuousClock.now < deadline else {
            throw DemoError("the services did not become ready within 30 s")
          }
          try await Task.sleep(for: .milliseconds(10))
        }
        let count = self.batch.firstWave.count + self.batch.secondWave.count
        Console.line(
          "submitting \(count) applications over \(Int(self.pace.secondsValue)) s "
            + "(statuses of the batch, once a second):")
        let driver = DemoDriver(
          batch: self.batch, origination: Origination.Client(transport: origination),
          productEngine: ProductEngine.Client(transport: engine), pace: self.pace,
          timeout: self.timeout)
        let results = try await driver.run()
        let problems = DemoReport(results: results).print()
        self.result.withLock { $0.problems = problems }
      }
    } catch is CancellationError {
      result.withLock { $0.error = "interrupted" }
    } catch let error as RPCError where error.code == .cancelled {
      result.withLock { $0.error = "interrupted" }
    } catch {
      result.withLock { $0.error = "\(error)" }
    }
    await origination.close()
    await engine.close()
  }
}

/// Fresh folders under the system's temporary folder.
enum TemporaryFolder {
  static func make(prefix: String) throws -> String {
    var template = Array((NSTemporaryDirectory() + "/" + prefix + "XXXXXX").utf8CString)
    guard let path = mkdtemp(&template) else {
      throw DemoError("cannot create a temporary folder (errno \(errno))")
    }
    return String(cString: path).replacingOccurrences(of: "//", with: "/")
  }

  static func remove(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
  }
}
