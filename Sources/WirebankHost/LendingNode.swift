import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import WirebankHTTP2
import WirebankInterop
import WirebankPostgres
import WirebankRPC

/// One Lending service hosted for real: its database pool, its runtime (migrated at start), a
/// gRPC server over HTTP/2 with `grpc.health.v1.Health`, and its job worker.
///
/// Health reports the service NOT_SERVING until the worker listens for jobs, then SERVING;
/// graceful shutdown (SIGTERM, SIGINT) reports NOT_SERVING, sends GOAWAY, lets calls in flight
/// finish, stops the worker (its running jobs go back to the queue) and closes the pool.
///
/// ```swift
/// let node = try await LendingNode.start(
///   .productEngine, database: configuration, peers: [:], options: options, logger: logger)
/// try await ServiceGroup(services: [node], …).run()
/// ```
public final class LendingNode: Service, Sendable {
  /// Which service this is.
  public let service: LendingService
  /// The service's database pool.
  public let pool: PostgresPool
  /// The gRPC server, listening once `start` returns.
  public let server: HTTP2Server
  /// The health service the server hosts.
  public let health: HealthService
  let runtime: any LendingRuntime
  /// Where the job worker's tasks run: one of the event loops, like the server's handlers, so
  /// that a job's calls to peers and its statements' answers resume it without waking a thread
  /// of the global pool (a third fewer context switches per application in `up`).
  let jobExecutor: any TaskExecutor

  private init(
    service: LendingService, pool: PostgresPool, server: HTTP2Server, health: HealthService,
    runtime: any LendingRuntime, jobExecutor: any TaskExecutor
  ) {
    self.service = service
    self.pool = pool
    self.server = server
    self.health = health
    self.runtime = runtime
    self.jobExecutor = jobExecutor
  }

  /// Migrates the database, builds the runtime and binds the server.
  /// - Parameters:
  ///   - database: how to reach the service's own database.
  ///   - peers: the transports to the services this one calls (`service.peers`).
  ///   - jobLoop: the event loop the job worker's tasks run on; best the one `peers` use, so
  ///     that a job's calls need no thread hop. Nil: any of `group`'s.
  /// - Throws: `PostgresError` or `MigrationError` when the database is unusable, an error of
  ///   the socket layer when the port cannot be bound.
  public static func start(
    _ service: LendingService, database: PostgresConfiguration,
    peers: [LendingService: any ClientTransport], options: LendingNodeOptions, logger: Logger,
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    jobLoop: (any EventLoop)? = nil
  ) async throws -> LendingNode {
    var logger = logger
    logger[metadataKey: "service"] = "\(service)"
    let pool = PostgresPool(
      configuration: database, options: .init(maxConnections: options.poolSize), logger: logger)
    do {
      let runtime = try await service.startRuntime(
        pool: pool, peers: peers, options: options, logger: logger)
      let health = HealthService()
      health.setStatus(.notServing, forService: service.grpcServiceName)
      let configuration = HTTP2Server.Configuration(
        host: options.host, port: options.port,
        shutdownGracePeriod: options.shutdownGracePeriod, logger: logger)
      let server = HTTP2Server(
        services: [runtime.registrable, health], configuration: configuration, group: group)
      try await server.start()
      return LendingNode(
        service: service, pool: pool, server: server, health: health, runtime: runtime,
        jobExecutor: EventLoopTaskExecutor(eventLoop: jobLoop ?? group.next()))
    } catch {
      await pool.close()
      throw error
    }
  }

  /// The port the server listens on.
  public var port: Int { server.port ?? server.configuration.port }

  /// The address peers and clients reach the service at.
  public var address: PeerAddress {
    let host = server.configuration.host
    let reachable = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
    return PeerAddress(host: reachable, port: port)
  }

  /// Whether the job worker listens for jobs (health says SERVING from then on).
  public var isReady: Bool { runtime.isReady }

  /// Serves calls and runs jobs until graceful shutdown (or cancellation), then closes the pool.
  public func run() async throws {
    let name = service.grpcServiceName
    try await withGracefulShutdownHandler {
      try await withThrowingTaskGroup(of: Void.self) { probe in
        probe.addTask {
          // Readiness: the worker raises its flag once its LISTEN took effect.
          while !self.runtime.isReady {
            guard (try? await Task.sleep(for: .milliseconds(10))) != nil else { return }
          }
          self.health.setStatus(.serving, forService: name)
        }
        defer { probe.cancelAll() }
        try await withThrowingTaskGroup(of: Void.self) { group in
          group.addTask { try await self.server.run() }
          group.addTask(executorPreference: self.jobExecutor) {
            await cancelWhenGracefulShutdown { await self.runtime.run() }
          }
          try await group.waitForAll()
        }
      }
    } onGracefulShutdown: {
      self.health.enterShutdown()
      self.server.beginGracefulShutdown()
    }
    await pool.close()
  }
}
