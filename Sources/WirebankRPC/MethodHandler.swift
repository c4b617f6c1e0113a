import WirebankProtobuf

/// A method's implementation, typed for the service author and byte-level for the transport.
///
/// Generated code builds one per method with the static constructors; a transport runs it with
/// `handle(_:)`, which decodes requests, enforces the call kind's cardinality, encodes responses
/// and turns whatever the body throws into the status the call ends with.
public struct MethodHandler: Sendable {
  /// The method this handler implements.
  public let descriptor: MethodDescriptor

  private let run: @Sendable (any ServerCall) async throws -> Void

  private init(
    descriptor: MethodDescriptor, run: @escaping @Sendable (any ServerCall) async throws -> Void
  ) {
    self.descriptor = descriptor
    self.run = run
  }

  /// A handler for a unary method: one request in, one response out.
  public static func unary<Req: ProtobufMessage, Resp: ProtobufMessage>(
    _ descriptor: MethodDescriptor,
    _ body: @escaping @Sendable (Req, ServerContext) async throws -> Resp
  ) -> MethodHandler {
    MethodHandler(descriptor: descriptor) { call in
      let request: Req = try await receiveSingleRequest(call)
      let response = try await body(request, call.context)
      try await call.sendMessage(response)
    }
  }

  /// A handler for a client-streaming method: a stream of requests in, one response out.
  public static func clientStreaming<Req: ProtobufMessage, Resp: ProtobufMessage>(
    _ descriptor: MethodDescriptor,
    _ body: @escaping @Sendable (RequestStream<Req>, ServerContext) async throws -> Resp
  ) -> MethodHandler {
    MethodHandler(descriptor: descriptor) { call in
      let response = try await body(call.requestStream(), call.context)
      try await call.sendMessage(response)
    }
  }

  /// A handler for a server-streaming method: one request in, responses written as they come.
  public static func serverStreaming<Req: ProtobufMessage, Resp: ProtobufMessage>(
    _ descriptor: MethodDescriptor,
    _ body: @escaping @Sendable (Req, ResponseWriter<Resp>, ServerContext) async throws -> Void
  ) -> MethodHandler {
    MethodHandler(descriptor: descriptor) { call in
      let request: Req = try await receiveSingleRequest(call)
      try await body(request, call.responseWriter(), call.context)
    }
  }

  /// A handler for a bidirectional-streaming method: requests and responses interleaved.
  public static func bidirectionalStreaming<Req: ProtobufMessage, Resp: ProtobufMessage>(
    _ descriptor: MethodDescriptor,
    _ body:
      @escaping @Sendable (RequestStream<Req>, ResponseWriter<Resp>, ServerContext) async throws
      -> Void
  ) -> MethodHandler {
    MethodHandler(descriptor: descriptor) { call in
      try await body(call.requestStream(), call.responseWriter(), call.context)
    }
  }

  /// This handler with `interceptors` around it, the first outermost.
  public func intercepted(by interceptors: [any ServerInterceptor]) -> MethodHandler {
    var run = self.run
    for interceptor in interceptors.reversed() {
      let inner = run
      run = { call in try await interceptor.intercept(call, next: inner) }
    }
    return MethodHandler(descriptor: descriptor, run: run)
  }

  /// Runs the method for one call and returns the status (with trailers) to end it with.
  ///
  /// Thrown errors map as follows: an `RPCError` ends the call with its code, message and
  /// metadata; `CancellationError` with CANCELLED; anything else with UNKNOWN and a generic
  /// message, so that no internals reach the client.
  public func handle(_ call: some ServerCall) async -> RPCStatus {
    do {
      try await run(call)
      return RPCStatus(code: .ok, trailers: call.context.responseTrailers)
    } catch {
      return MethodHandler.status(for: error, trailers: call.context.responseTrailers)
    }
  }

  /// The status a handler that threw `error` ends its call with.
  static func status(for error: any Error, trailers: Metadata) -> RPCStatus {
    var trailers = trailers
    switch error {
    case let error as RPCError where error.code != .ok:
      trailers.append(contentsOf: error.metadata)
      return RPCStatus(code: error.code, message: error.message, trailers: trailers)
    case is CancellationError:
      return RPCStatus(code: .cancelled, message: "the call was cancelled", trailers: trailers)
    default:
      return RPCStatus(
        code: .unknown, message: "the server failed to handle the call", trailers: trailers)
    }
  }

  /// The one request of a unary or server-streaming call.
  ///
  /// Waits for the client to finish sending, so that a second message is caught: a count other
  /// than one is a cardinality violation, UNIMPLEMENTED per `doc/statuscodes.md`.
  private static func receiveSingleRequest<Req: ProtobufMessage>(
    _ call: some ServerCall
  ) async throws -> Req {
    guard let request: Req = try await call.receiveMessage() else {
      throw RPCError(code: .unimplemented, message: "expected one request message, got none")
    }
    guard try await call.receive() == nil else {
      throw RPCError(
        code: .unimplemented, message: "expected one request message, got more than one")
    }
    return request
  }
}
