import Logging
import NIOCore
import NIOPosix
import WirebankRPC

/// A `ClientTransport` over HTTP/2 (plaintext, prior knowledge): one connection per target,
/// multiplexing every call.
///
/// ```swift
/// let transport = HTTP2ClientTransport(host: "127.0.0.1", port: 50051)
/// let client = Grpc_Testing_TestService.Client(transport: transport)
/// let reply = try await client.emptyCall(Grpc_Testing_Empty())
/// await transport.close()
/// ```
public final class HTTP2ClientTransport: ClientTransport {
  /// Where and how the transport connects.
  public struct Configuration: Sendable {
    /// The server's host name or address.
    public var host: String
    /// The server's port.
    public var port: Int
    /// The `:authority` sent with each call; `host:port` by default.
    public var authority: String
    /// The HTTP/2 settings advertised to the server.
    public var settings: HTTP2Settings
    /// How long one connection attempt may take.
    public var connectTimeout: Duration
    /// The delays between failed connection attempts.
    public var backoff: ConnectionBackoff
    /// Bytes a call may queue for sending before its `send` waits for the server.
    public var requestBufferHighWater: Int
    /// Where connection problems are logged.
    public var logger: Logger

    /// A configuration for the server at `host:port`.
    public init(
      host: String, port: Int, authority: String? = nil,
      settings: HTTP2Settings = HTTP2Settings(maxConcurrentStreams: 100),
      connectTimeout: Duration = .seconds(20), backoff: ConnectionBackoff = ConnectionBackoff(),
      requestBufferHighWater: Int = 64 * 1024,
      logger: Logger = Logger(label: "wirebank.http2.client")
    ) {
      self.host = host
      self.port = port
      self.authority = authority ?? "\(host):\(port)"
      self.settings = settings
      self.connectTimeout = connectTimeout
      self.backoff = backoff
      self.requestBufferHighWater = requestBufferHighWater
      self.logger = logger
    }
  }

  /// How the transport connects.
  public let configuration: Configuration
  private let manager: ClientConnectionManager
  private let executor: EventLoopTaskExecutor

  /// A transport to the server `configuration` names, on one loop of `group`.
  public init(
    configuration: Configuration,
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) {
    self.configuration = configuration
    let eventLoop = group.next()
    self.manager = ClientConnectionManager(eventLoop: eventLoop, configuration: configuration)
    self.executor = EventLoopTaskExecutor(eventLoop: eventLoop)
  }

  /// A transport to `host:port` with default settings.
  public convenience init(
    host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) {
    self.init(configuration: Configuration(host: host, port: port), group: group)
  }

  /// Opens a stream for one call and runs `body` with it (see `ClientTransport`).
  ///
  /// The stream is opened and `body` runs with the connection's event loop as its task
  /// executor, so the stream's methods need no thread hop, and what `body` sends at once (a
  /// unary request and its end) goes out in the same write as the request headers: the flush
  /// that opening schedules runs after the task's next step on the loop.
  /// - Throws: what `body` throws, or an `RPCError` (UNAVAILABLE, DEADLINE_EXCEEDED,
  ///   CANCELLED) when the stream could not be opened.
  public func withStream<Result: Sendable>(
    _ method: MethodDescriptor, options: CallOptions,
    _ body: @Sendable (any ClientStream) async throws -> Result
  ) async throws -> Result {
    let call = HTTP2ClientCall(method: method, options: options, eventLoop: manager.eventLoop)
    defer { call.cancel() }
    return try await withTaskCancellationHandler {
      try await withTaskExecutorPreference(executor) {
        try await call.waitUntilOpen(manager)
        return try await body(call)
      }
    } onCancel: {
      call.cancel()
    }
  }

  /// The buffers the current connection has written to its socket (nil: none is ready).
  var connectionWrites: Int? {
    get async throws { try await manager.eventLoop.submit { self.manager.ready?.writes }.get() }
  }

  /// Closes the connection once the calls in flight are done; later calls fail UNAVAILABLE.
  public func close() async {
    await manager.close()
  }
}
