/// One serialized message as a stream carries it, with its compression flag.
///
/// Received: `bytes` are already decompressed and `compressed` says whether the peer sent them
/// compressed. Sent: `compressed` asks the transport to compress the message if the call
/// negotiated an algorithm (it is ignored otherwise).
public struct RawMessage: Sendable, Hashable {
  /// The message's Protobuf encoding (never compressed).
  public var bytes: [UInt8]
  /// Whether the message was, or should be, compressed on the wire.
  public var compressed: Bool

  /// A message of `bytes`, flagged `compressed`.
  public init(_ bytes: [UInt8], compressed: Bool = false) {
    self.bytes = bytes
    self.compressed = compressed
  }
}

/// The server side of one call, as a transport presents it to a `MethodHandler`.
///
/// The transport implements this over its stream: it has already read the request headers
/// (into `context`), hands over request messages one at a time, and writes response messages.
/// The handler's final status comes back as the result of `MethodHandler.handle(_:)`; the
/// transport then sends it as trailers (after headers from `context.responseHeaders` if no
/// message went out yet).
///
/// Cancellation: when the client cancels, resets the stream or its deadline passes, the
/// transport cancels the task running `handle(_:)`; `receive()` and `send(_:)` then throw
/// (`CancellationError` or an `RPCError`).
public protocol ServerCall: Sendable {
  /// The call's method, request metadata, deadline and peer.
  var context: ServerContext { get }

  /// The next request message, or nil once the client has finished sending.
  /// - Throws: `RPCError` when the request stream failed (a message too large, say), or
  ///   `CancellationError` when the call was cancelled.
  func receive() async throws -> RawMessage?

  /// Sends one response message, after the response headers if it is the first.
  ///
  /// Suspends while the transport applies back-pressure.
  /// - Throws: when the call has ended or was cancelled.
  func send(_ message: RawMessage) async throws
}

/// Routes calls to the handlers of the hosted services, by path.
///
/// A transport looks up `handler(forPath:)` when request headers arrive, builds the call's
/// `ServerContext` from the handler's descriptor and runs `handle(_:)` on it; for an unknown
/// path it answers `methodNotFound(path:)` (UNIMPLEMENTED, as gRPC requires) without a handler.
public struct MethodRouter: Sendable {
  private let handlers: [String: MethodHandler]

  /// A router over the handlers of `services`; a later handler for a path replaces an earlier.
  public init(services: [any RegistrableService]) {
    self.init(handlers: services.flatMap(\.methodHandlers))
  }

  /// A router over `handlers`; a later handler for a path replaces an earlier.
  public init(handlers: [MethodHandler]) {
    var byPath: [String: MethodHandler] = [:]
    for handler in handlers { byPath[handler.descriptor.path] = handler }
    self.handlers = byPath
  }

  /// The methods the router can serve, sorted by path.
  public var methods: [MethodDescriptor] {
    handlers.values.map(\.descriptor).sorted { $0.path < $1.path }
  }

  /// The handler for `path` (`/service/method`), if any.
  public func handler(forPath path: String) -> MethodHandler? {
    handlers[path]
  }

  /// The status for a call to a path no hosted service implements.
  public static func methodNotFound(path: String) -> RPCStatus {
    RPCStatus(code: .unimplemented, message: "method not found: \(path)")
  }

  /// Runs the handler for `call`'s method and returns the status to send.
  ///
  /// Routes by `call.context.method.path`; an unknown path ends as UNIMPLEMENTED without
  /// reading any request.
  public func handle(_ call: some ServerCall) async -> RPCStatus {
    let path = call.context.method.path
    guard let handler = handlers[path] else {
      return MethodRouter.methodNotFound(path: path)
    }
    return await handler.handle(call)
  }
}
