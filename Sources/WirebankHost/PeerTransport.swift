import Logging
import NIOCore
import NIOPosix
import Synchronization
import WirebankHTTP2
import WirebankRPC

/// The HTTP/2 transport to one peer service, whose address may be learnt after the caller is
/// built (services in one process that listen on ports picked at start-up call each other).
///
/// Calls made before `connect(to:)` fail with UNAVAILABLE, as calls to a peer that is down do;
/// the durable jobs that make them retry later.
public final class PeerTransport: ClientTransport {
  /// The peer this transport reaches.
  public let service: LendingService
  private let group: any EventLoopGroup
  private let logger: Logger
  private let target = Mutex(Target.unset)

  private enum Target {
    case unset
    case connected(HTTP2ClientTransport)
    case closed

    var transport: HTTP2ClientTransport? {
      if case .connected(let transport) = self { return transport }
      return nil
    }
  }

  /// Reconnection after a peer went away: quick and capped low, since peers restart in seconds
  /// and a call made while backing off fails at once (its job retries later).
  public static let reconnectBackoff = ConnectionBackoff(
    initial: .milliseconds(100), maximum: .seconds(2), multiplier: 1.6, jitter: 0.2)

  /// A transport to `service`, not connected yet.
  public init(
    to service: LendingService, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    logger: Logger
  ) {
    self.service = service
    self.group = group
    self.logger = logger
  }

  /// A transport to `service` at `address`.
  public convenience init(
    to service: LendingService, at address: PeerAddress,
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
  ) {
    self.init(to: service, group: group, logger: logger)
    connect(to: address)
  }

  /// Routes calls to `address` from now on.
  public func connect(to address: PeerAddress) {
    var peerLogger = logger
    peerLogger[metadataKey: "peer"] = "\(service)@\(address)"
    let configuration = HTTP2ClientTransport.Configuration(
      host: address.host, port: address.port, connectTimeout: .seconds(5),
      backoff: Self.reconnectBackoff, logger: peerLogger)
    let transport = HTTP2ClientTransport(configuration: configuration, group: group)
    let (previous, taken) = target.withLock { target -> (HTTP2ClientTransport?, Bool) in
      if case .closed = target { return (nil, false) }
      defer { target = .connected(transport) }
      return (target.transport, true)
    }
    if let previous { Task { await previous.close() } }
    if !taken { Task { await transport.close() } }
  }

  /// Runs one call on the peer's connection (see `ClientTransport`).
  /// - Throws: what `body` throws, or UNAVAILABLE when the peer's address is not known yet or
  ///   the transport is closed.
  public func withStream<Result: Sendable>(
    _ method: MethodDescriptor, options: CallOptions,
    _ body: @Sendable (any ClientStream) async throws -> Result
  ) async throws -> Result {
    switch target.withLock({ $0 }) {
    case .connected(let transport):
      return try await transport.withStream(method, options: options, body)
    case .unset:
      throw RPCError(.unavailable, "\(service)'s address is not known yet")
    case .closed:
      throw RPCError(.unavailable, "the transport to \(service) is closed")
    }
  }

  /// Closes the connection once its calls are done; later calls fail with UNAVAILABLE.
  public func close() async {
    let transport = target.withLock { target in
      defer { target = .closed }
      return target.transport
    }
    await transport?.close()
  }
}
