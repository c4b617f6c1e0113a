import WirebankProtobuf

/// The client side of a transport: it opens one stream per call and carries raw messages.
///
/// Generated clients call the typed methods of the extension (`unary`, `clientStreaming`,
/// `serverStreaming`, `bidirectionalStreaming`), which are built on `withStream` alone; a
/// transport implements only that.
public protocol ClientTransport: Sendable {
  /// Opens a stream for one call of `method`, runs `body` with it, and ends the stream.
  ///
  /// The transport must:
  /// - send `options.metadata` (and `options.timeout` as `grpc-timeout`, `options.compression`
  ///   as `grpc-encoding`) as request headers;
  /// - end the call with DEADLINE_EXCEEDED when `options.timeout` runs out, and with CANCELLED
  ///   when the task running `withStream` is cancelled; either way the server is told (its
  ///   handler is cancelled), pending `receive()` calls return nil and `status()` reports it;
  /// - when `body` returns or throws while the call is still open, cancel the call (CANCELLED);
  /// - report any failure to reach or hear from the server as a status (UNAVAILABLE,
  ///   INTERNAL, …) rather than by throwing from the stream's methods.
  ///
  /// - Throws: what `body` throws, or an `RPCError` when the stream cannot be opened.
  func withStream<Result: Sendable>(
    _ method: MethodDescriptor, options: CallOptions,
    _ body: @Sendable (any ClientStream) async throws -> Result
  ) async throws -> Result
}

/// One call's stream, as a `ClientTransport` hands it to the typed client methods.
///
/// Requests go out with `send` and `finish`; responses come in with `receive` until it returns
/// nil, after which `status()` holds the call's final status and trailers.
public protocol ClientStream: Sendable {
  /// Sends one request message; suspends while the transport applies back-pressure.
  ///
  /// After the call ended with OK the message is dropped (the server no longer reads).
  /// - Throws: `RPCError` with the final status when the call ended with an error or was
  ///   cancelled.
  func send(_ message: RawMessage) async throws

  /// Tells the server that no more requests follow (half-close); later calls do nothing.
  func finish() async

  /// The next response message, or nil when no more will come (the call ended, one way or
  /// another; see `status()`).
  func receive() async -> RawMessage?

  /// The server's response headers; empty when the call ended without any (trailers-only).
  ///
  /// Waits until the headers arrive or the call ends.
  func responseHeaders() async -> Metadata

  /// The call's final status and trailers; waits until the call ends.
  func status() async -> RPCStatus

  /// Ends the call as CANCELLED unless it has already ended, and tells the server.
  func cancel()
}

/// A single response message with the metadata that came with it.
public struct ClientResponse<Message: ProtobufMessage>: Sendable {
  /// The response message.
  public var message: Message
  /// The server's response headers.
  public var headers: Metadata
  /// The server's trailers (with an OK status).
  public var trailers: Metadata

  /// A response of `message` with its headers and trailers.
  public init(message: Message, headers: Metadata, trailers: Metadata) {
    self.message = message
    self.headers = headers
    self.trailers = trailers
  }
}

/// A compression algorithm for messages, named as in `grpc-encoding`.
public enum CompressionAlgorithm: String, Sendable, Hashable, CaseIterable, CustomStringConvertible
{
  /// No compression.
  case identity
  /// gzip (RFC 1952).
  case gzip

  /// The name used in `grpc-encoding` and `grpc-accept-encoding`.
  public var name: String { rawValue }

  /// The algorithm's name.
  public var description: String { rawValue }
}

/// How a client makes one call: timeout, metadata, compression and limits.
public struct CallOptions: Sendable, Hashable {
  /// How long the client waits for the call to end; nil waits without limit.
  ///
  /// The transport sends it as `grpc-timeout` and ends the call with DEADLINE_EXCEEDED when it
  /// runs out, cancelling the server's handler.
  public var timeout: Duration?
  /// Custom request metadata, sent as headers.
  public var metadata: Metadata
  /// The algorithm request messages are compressed with (per message, see `RequestWriter`).
  public var compression: CompressionAlgorithm
  /// The largest response message accepted, in bytes; larger ones end the call with
  /// RESOURCE_EXHAUSTED.
  public var maximumResponseSize: Int
  /// The deepest message nesting accepted in responses.
  public var maximumResponseDepth: Int

  /// Options with the given parts; the defaults wait forever, send no metadata, do not compress
  /// and accept responses of up to 4 MiB, as gRPC does.
  public init(
    timeout: Duration? = nil, metadata: Metadata = Metadata(),
    compression: CompressionAlgorithm = .identity,
    maximumResponseSize: Int = DecodingOptions.default.maximumMessageSize,
    maximumResponseDepth: Int = DecodingOptions.default.maximumDepth
  ) {
    self.timeout = timeout
    self.metadata = metadata
    self.compression = compression
    self.maximumResponseSize = maximumResponseSize
    self.maximumResponseDepth = maximumResponseDepth
  }

  /// The limits responses are decoded with.
  public var responseDecodingOptions: DecodingOptions {
    DecodingOptions(maximumMessageSize: maximumResponseSize, maximumDepth: maximumResponseDepth)
  }

  /// Whether request messages are compressed when a write does not say otherwise.
  var compressesRequests: Bool { compression != .identity }
}
