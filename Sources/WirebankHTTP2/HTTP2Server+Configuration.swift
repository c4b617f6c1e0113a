import Logging
import WirebankProtobuf

extension HTTP2Server {
  /// How a server listens, what it accepts and how it treats idle or silent peers.
  public struct Configuration: Sendable {
    /// The address to bind, as in `127.0.0.1`, `0.0.0.0` or `::`.
    public var host: String
    /// The port to listen on; 0 picks a free one (see `HTTP2Server.port`).
    public var port: Int
    /// The HTTP/2 settings advertised to every client.
    public var settings: HTTP2Settings
    /// The largest request message accepted (after inflating); larger ones end the call with
    /// RESOURCE_EXHAUSTED.
    public var maximumRequestSize: Int
    /// The deepest message nesting accepted in requests.
    public var maximumRequestDepth: Int
    /// Send a PING when the client has been silent this long; nil never pings.
    public var keepaliveInterval: Duration?
    /// Close the connection when a keepalive PING is not answered within this time.
    public var keepaliveTimeout: Duration
    /// Close (with GOAWAY) a connection that has had no call for this long; nil keeps it.
    public var idleTimeout: Duration?
    /// How long graceful shutdown lets calls in flight finish before cancelling them.
    public var shutdownGracePeriod: Duration
    /// Bytes a call may have queued for sending before its `send` waits for the client.
    public var responseBufferHighWater: Int
    /// Where connection-level problems are logged.
    public var logger: Logger

    /// A configuration listening on `host:port` with gRPC's usual limits.
    public init(
      host: String = "127.0.0.1", port: Int = 0, settings: HTTP2Settings = HTTP2Settings(),
      maximumRequestSize: Int = DecodingOptions.default.maximumMessageSize,
      maximumRequestDepth: Int = DecodingOptions.default.maximumDepth,
      keepaliveInterval: Duration? = .seconds(7200), keepaliveTimeout: Duration = .seconds(20),
      idleTimeout: Duration? = .seconds(300), shutdownGracePeriod: Duration = .seconds(10),
      responseBufferHighWater: Int = 64 * 1024,
      logger: Logger = Logger(label: "wirebank.http2.server")
    ) {
      self.host = host
      self.port = port
      self.settings = settings
      self.maximumRequestSize = maximumRequestSize
      self.maximumRequestDepth = maximumRequestDepth
      self.keepaliveInterval = keepaliveInterval
      self.keepaliveTimeout = keepaliveTimeout
      self.idleTimeout = idleTimeout
      self.shutdownGracePeriod = shutdownGracePeriod
      self.responseBufferHighWater = responseBufferHighWater
      self.logger = logger
    }

    /// The limits requests are decoded with.
    var decodingOptions: DecodingOptions {
      DecodingOptions(maximumMessageSize: maximumRequestSize, maximumDepth: maximumRequestDepth)
    }
  }
}

extension Duration {
  /// The duration as NIO's `TimeAmount`.
  var timeAmount: TimeAmount {
    let (seconds, attoseconds) = components
    let (nanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    if overflow { return .nanoseconds(seconds < 0 ? .min : .max) }
    return .nanoseconds(nanos.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue)
  }
}

import NIOCore
