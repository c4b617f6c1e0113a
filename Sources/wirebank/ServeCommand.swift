import ArgumentParser
import Logging
import NIOPosix
import ServiceLifecycle
import WirebankHost
import WirebankRPC

/// `wirebank serve <service>`: one Lending service over HTTP/2 (with health), its job worker
/// and its own database, until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Run one Lending service: origination, scoring or product-engine.",
    discussion: """
      Without --database-url the service uses an embedded PostgreSQL under --state-dir, shared \
      with the other services started on the same folder (one database each); it keeps running \
      after the service stops (`wirebank postgres stop` stops it).
      Example: wirebank serve origination --port 50051 \
      --peers scoring=127.0.0.1:50052,product-engine=127.0.0.1:50053
      """)

  @Argument(help: "The service to run.")
  var service: LendingService

  @Option(help: "The port to listen on (0 picks a free one).")
  var port: Int?

  @Option(help: "The address to bind.")
  var host = "127.0.0.1"

  @Option(
    help: ArgumentHelp(
      "The services this one calls, as service=host:port,… (origination needs scoring and "
        + "product-engine; scoring needs product-engine and origination).",
      valueName: "peers"))
  var peers = ""

  @OptionGroup var database: DatabaseOptions
  @OptionGroup var tuning: NodeTuningOptions

  func validate() throws {
    do {
      try PeerAddresses(parsing: peers).checkComplete(for: service)
    } catch {
      throw ValidationError(error.description)
    }
  }

  func run() async throws {
    let logger = CommandLogging.logger(label: "wirebank.\(service)")
    let addresses = try PeerAddresses(parsing: peers)
    let databases = try await LendingDatabases.open(database.source(), logger: logger)
    var transports: [PeerTransport] = []
    var callees: [LendingService: any ClientTransport] = [:]
    // The calls to peers and the jobs, which make them, share one event loop.
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    for peer in service.peers {
      guard let address = addresses[peer] else { continue }
      let transport = PeerTransport(to: peer, at: address, group: loop, logger: logger)
      transports.append(transport)
      callees[peer] = transport
    }
    let configuration = try await databases.configuration(for: service)
    let node = try await LendingNode.start(
      service, database: configuration, peers: callees,
      options: tuning.options(
        host: host, port: port ?? LendingService.defaultBasePort + service.portOffset),
      logger: logger, jobLoop: loop)
    Console.line(
      "\(service) listening on \(node.address) (database \(configuration.database ?? "?"), "
        + "\(databases.summary))")
    try await ServiceRunner.run([node], logger: logger)
    for transport in transports { await transport.close() }
    Console.line("\(service) stopped")
  }
}
