import Logging
import NIOCore
import NIOPosix
import Synchronization
import WirebankRPC

/// A gRPC server over HTTP/2 (plaintext, prior knowledge), on nghttp2 and SwiftNIO.
///
/// ```swift
/// let server = HTTP2Server(services: [MyService()], configuration: .init(port: 50051))
/// try await server.run()   // until `beginGracefulShutdown()`
/// ```
public final class HTTP2Server: Sendable {
  /// The handlers calls are routed to.
  public let router: MethodRouter
  /// How the server listens and what it accepts.
  public let configuration: Configuration

  private let group: any EventLoopGroup
  private let state = Mutex(State())

  private struct State {
    var channel: (any Channel)?
    var connections: [ObjectIdentifier: NIOLoopBound<ServerConnectionHandler>] = [:]
    var shuttingDown = false
    var drained: [CheckedContinuation<Void, Never>] = []
  }

  /// A server routing calls with `router`.
  /// - Parameters:
  ///   - router: the handlers of the hosted services.
  ///   - configuration: address, settings and limits.
  ///   - group: the event loops that run connections (NIO's shared group by default).
  public init(
    router: MethodRouter, configuration: Configuration = Configuration(),
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) {
    self.router = router
    self.configuration = configuration
    self.group = group
  }

  /// A server hosting `services`.
  public convenience init(
    services: [any RegistrableService], configuration: Configuration = Configuration(),
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) {
    self.init(router: MethodRouter(services: services), configuration: configuration, group: group)
  }

  /// The address the server listens on, once started.
  public var localAddress: SocketAddress? {
    state.withLock { $0.channel?.localAddress }
  }

  /// The port the server listens on, once started (the chosen one when configured with 0).
  public var port: Int? { localAddress?.port }

  /// Binds the listening socket.
  /// - Throws: when the address cannot be bound.
  public func start() async throws {
    let router = self.router
    let configuration = self.configuration
    let channel = try await ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: 1024)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
      .childChannelInitializer { [weak self] channel in
        channel.eventLoop.makeCompletedFuture {
          let handler = ServerConnectionHandler(
            router: router, configuration: configuration, eventLoop: channel.eventLoop
          ) { [weak self] id in self?.connectionClosed(id) }
          try channel.pipeline.syncOperations.addHandler(handler)
          self?.connectionOpened(handler, on: channel.eventLoop)
        }
      }
      .bind(host: configuration.host, port: configuration.port)
      .get()
    state.withLock { $0.channel = channel }
    configuration.logger.info(
      "gRPC server listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
  }

  /// Starts the server if needed and returns once it has shut down.
  ///
  /// Cancelling the calling task shuts the server down gracefully.
  /// - Throws: when the address cannot be bound.
  public func run() async throws {
    if state.withLock({ $0.channel == nil }) { try await start() }
    await withTaskCancellationHandler {
      await waitUntilShutDown()
    } onCancel: {
      self.beginGracefulShutdown()
    }
  }

  /// Stops accepting connections, sends GOAWAY on every connection and lets calls in flight
  /// finish for up to `configuration.shutdownGracePeriod`; `run()` returns once all are closed.
  public func beginGracefulShutdown() {
    let (channel, connections) = state.withLock { state in
      state.shuttingDown = true
      return (state.channel, Array(state.connections.values))
    }
    channel?.close(promise: nil)
    let grace = configuration.shutdownGracePeriod
    for connection in connections {
      connection.eventLoop.execute {
        connection.value.beginGracefulShutdown(gracePeriod: grace)
      }
    }
    resumeIfDrained()
  }

  /// Waits until shutdown has begun, the listener is closed and every connection is gone.
  private func waitUntilShutDown() async {
    await withCheckedContinuation { continuation in
      state.withLock { $0.drained.append(continuation) }
      resumeIfDrained()
    }
    if let channel = state.withLock({ $0.channel }) {
      try? await channel.closeFuture.get()
    }
  }

  private func connectionOpened(_ handler: ServerConnectionHandler, on loop: any EventLoop) {
    let shuttingDown = state.withLock { state in
      state.connections[ObjectIdentifier(handler)] = NIOLoopBound(handler, eventLoop: loop)
      return state.shuttingDown
    }
    if shuttingDown {
      let grace = configuration.shutdownGracePeriod
      loop.assumeIsolated().execute { handler.beginGracefulShutdown(gracePeriod: grace) }
    }
  }

  private func connectionClosed(_ id: ObjectIdentifier) {
    state.withLock { _ = $0.connections.removeValue(forKey: id) }
    resumeIfDrained()
  }

  private func resumeIfDrained() {
    let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
      guard state.shuttingDown, state.connections.isEmpty else { return [] }
      defer { state.drained.removeAll() }
      return state.drained
    }
    for waiter in waiters { waiter.resume() }
  }
}
