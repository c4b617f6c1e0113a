import ArgumentParser
import Logging
import ServiceLifecycle
import WirebankHost

/// `wirebank up`: Origination, Scoring and the Product Engine in one process, each on its own
/// port and database, calling each other over HTTP/2, until SIGINT or SIGTERM.
struct UpCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "up",
    abstract: "Run all three Lending services, each on its own port and database.",
    discussion: """
      Origination listens on --base-port, Scoring on the next port and the Product Engine on \
      the one after (50051–50053 by default). Without --database-url, an embedded PostgreSQL \
      runs under --state-dir and stops with the services (if this command started it).
      """)

  @Option(help: "Origination's port; Scoring and the Product Engine take the next two (0: any).")
  var basePort = LendingService.defaultBasePort

  @Option(help: "The address to bind.")
  var host = "127.0.0.1"

  @OptionGroup var database: DatabaseOptions
  @OptionGroup var tuning: NodeTuningOptions

  func validate() throws {
    if let url = database.databaseURL, !url.contains(DatabaseSource.servicePlaceholder) {
      throw ValidationError(
        "--database-url needs {service} so that each service has its own database, "
          + "as in postgresql://localhost/lending_{service}")
    }
    guard basePort == 0 || (1...65_533).contains(basePort) else {
      throw ValidationError("--base-port must be 0 or between 1 and 65533")
    }
  }

  func run() async throws {
    let logger = CommandLogging.logger(label: "wirebank.up")
    let cluster = try await LendingCluster.start(
      database: database.source(), basePort: basePort,
      options: tuning.options(host: host, port: 0), logger: logger)
    for service in LendingService.allCases {
      Console.line("\(service) listening on \(cluster.address(of: service))")
    }
    Console.line("data: \(cluster.databases.summary)")
    Console.line(
      "try: wirebank lending submit --origination \(cluster.address(of: .origination)) …; "
        + "Ctrl-C stops")
    do {
      try await ServiceRunner.run(cluster.services, logger: logger)
    } catch {
      await cluster.shutdown()
      throw error
    }
    await cluster.shutdown()
    Console.line("stopped")
  }
}
