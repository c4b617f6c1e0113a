import Logging
import NIOPosix
import ServiceLifecycle
import WirebankPostgres
import WirebankRPC

/// The three Lending services in one process (`wirebank up`, `wirebank demo`), each with its
/// own database and port, calling each other over real HTTP/2 connections as separate
/// processes would.
public final class LendingCluster: Sendable {
  /// Where the data lives (stop the embedded cluster with `shutdown()`).
  public let databases: LendingDatabases
  /// The hosted services.
  public let nodes: [LendingService: LendingNode]
  private let transports: [PeerTransport]

  private init(
    databases: LendingDatabases, nodes: [LendingService: LendingNode], transports: [PeerTransport]
  ) {
    self.databases = databases
    self.nodes = nodes
    self.transports = transports
  }

  /// The order services start in: callees first, so that the first jobs find their peers.
  public static let startOrder: [LendingService] = [.productEngine, .scoring, .origination]

  /// Opens the databases, starts every service and connects them to each other.
  /// - Parameters:
  ///   - basePort: Origination's port; Scoring and the Product Engine take the next two. 0
  ///     lets each pick a free port.
  ///   - options: every service's options (their `port` is ignored).
  /// - Throws: what opening the databases or starting a service throws; services already
  ///   started are closed again.
  public static func start(
    database source: DatabaseSource, basePort: Int, options: LendingNodeOptions, logger: Logger
  ) async throws -> LendingCluster {
    let databases = try await LendingDatabases.open(source, logger: logger)
    var nodes: [LendingService: LendingNode] = [:]
    var transports: [PeerTransport] = []
    var inbound: [LendingService: [PeerTransport]] = [:]
    do {
      for service in startOrder {
        var peers: [LendingService: any ClientTransport] = [:]
        // The service's calls to its peers and its jobs, which make them, share one event loop.
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        for peer in service.peers {
          let transport = PeerTransport(to: peer, group: loop, logger: logger)
          transports.append(transport)
          inbound[peer, default: []].append(transport)
          if let node = nodes[peer] { transport.connect(to: node.address) }
          peers[peer] = transport
        }
        var nodeOptions = options
        nodeOptions.port = basePort == 0 ? 0 : basePort + service.portOffset
        let node = try await LendingNode.start(
          service, database: try await databases.configuration(for: service), peers: peers,
          options: nodeOptions, logger: logger, jobLoop: loop)
        nodes[service] = node
        for transport in inbound[service, default: []] { transport.connect(to: node.address) }
      }
    } catch {
      for transport in transports { await transport.close() }
      for node in nodes.values {
        node.server.beginGracefulShutdown()
        await node.pool.close()
      }
      await databases.stopClusterIfStartedHere()
      throw error
    }
    return LendingCluster(databases: databases, nodes: nodes, transports: transports)
  }

  /// Where `service` listens.
  public func address(of service: LendingService) -> PeerAddress {
    nodes[service]?.address ?? PeerAddress(host: "127.0.0.1", port: 0)
  }

  /// Whether every service's job worker listens.
  public var isReady: Bool { nodes.values.allSatisfy(\.isReady) }

  /// The services to run in a `ServiceGroup`, callers last (they shut down first).
  public var services: [any Service] { Self.startOrder.compactMap { nodes[$0] } }

  /// After the services have run: closes the connections between them and stops the embedded
  /// cluster if this process started it.
  public func shutdown() async {
    for transport in transports { await transport.close() }
    await databases.stopClusterIfStartedHere()
  }
}
