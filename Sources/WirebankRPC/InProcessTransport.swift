import WirebankProtobuf

/// A client transport whose calls are served in the same process by the handlers of a
/// `MethodRouter`: no sockets and no serialization shortcuts.
///
/// Messages are encoded and decoded exactly as over the network, each call's handler runs in
/// a task of its own, and the call's end follows gRPC's rules: a cancelled client task ends the
/// call as CANCELLED and cancels the handler; an exceeded `CallOptions.timeout` ends it as
/// DEADLINE_EXCEEDED and cancels the handler. Compression flags are carried through, but
/// nothing is compressed. Use it in tests, and to run services that call each other inside one
/// process.
public struct InProcessTransport: ClientTransport {
  /// The handlers calls are routed to.
  public let router: MethodRouter
  /// The peer handlers see in `ServerContext.peer`.
  public let peer: String
  /// The limits the server side decodes requests with.
  public let requestDecodingOptions: DecodingOptions

  /// A transport serving calls with `router`.
  /// - Parameters:
  ///   - router: the handlers calls are routed to.
  ///   - peer: the peer handlers see.
  ///   - requestDecodingOptions: the limits the server side decodes requests with.
  public init(
    router: MethodRouter, peer: String = "in-process",
    requestDecodingOptions: DecodingOptions = .default
  ) {
    self.router = router
    self.peer = peer
    self.requestDecodingOptions = requestDecodingOptions
  }

  /// A transport serving calls with the handlers of `services`.
  public init(services: [any RegistrableService], peer: String = "in-process") {
    self.init(router: MethodRouter(services: services), peer: peer)
  }

  /// Starts the handler for one call and runs `body` with the client's end of it.
  ///
  /// The call is settled before this returns: if `body` leaves it open, it is cancelled. The
  /// handler may still be unwinding from its cancellation when this returns.
  /// - Throws: what `body` throws.
  public func withStream<Result: Sendable>(
    _ method: MethodDescriptor, options: CallOptions,
    _ body: @Sendable (any ClientStream) async throws -> Result
  ) async throws -> Result {
    let deadline = options.timeout.map { ContinuousClock.now.advanced(by: $0) }
    let handler = router.handler(forPath: method.path)
    let context = ServerContext(
      method: handler?.descriptor ?? method, metadata: options.metadata, deadline: deadline,
      peer: peer, decodingOptions: requestDecodingOptions)
    let call = InProcessCall(context: context)
    call.startHandler {
      let serverCall = InProcessServerCall(call: call)
      guard let handler else {
        call.serverFinished(MethodRouter.methodNotFound(path: method.path))
        return
      }
      call.serverFinished(await handler.handle(serverCall))
    }
    let stream = InProcessClientStream(call: call)
    return try await withThrowingTaskGroup(of: Void.self) { group in
      if let deadline {
        group.addTask {
          try? await Task.sleep(until: deadline, clock: .continuous)
          guard !Task.isCancelled else { return }
          call.reset(RPCStatus(code: .deadlineExceeded, message: "the deadline was exceeded"))
        }
      }
      defer {
        stream.cancel()
        group.cancelAll()
      }
      return try await withTaskCancellationHandler {
        try await body(stream)
      } onCancel: {
        stream.cancel()
      }
    }
  }
}
