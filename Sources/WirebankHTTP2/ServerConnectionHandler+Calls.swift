import NIOCore
import WirebankRPC

extension ServerConnectionHandler {
  // MARK: Starting calls

  /// A client opened `streamID` with `block`: answer it at once, or start its handler.
  func startCall(streamID: Int32, block: HeaderBlock, endStream: Bool, oversized: Bool) {
    guard let context else { return }
    if oversized {
      // RFC 9113 §10.5.1 names HTTP 431 for a header section larger than the server accepts.
      respondHTTPError(streamID: streamID, status: 431, message: "request header fields too large")
      return
    }
    let head: RequestHead
    do {
      head = try RequestHead.parse(block)
    } catch {
      switch error {
      case .http(let status, let message):
        respondHTTPError(streamID: streamID, status: status, message: message)
      case .grpc(let status):
        respondTrailersOnly(streamID: streamID, status: status)
      }
      return
    }
    guard let handler = router.handler(forPath: head.path) else {
      respondTrailersOnly(streamID: streamID, status: MethodRouter.methodNotFound(path: head.path))
      return
    }
    let deadline = head.timeout.map { ContinuousClock.now.advanced(by: $0) }
    let callContext = ServerContext(
      method: handler.descriptor, metadata: head.metadata, deadline: deadline, peer: peer,
      decodingOptions: configuration.decodingOptions,
      compressesResponses: head.encoding == .gzip && head.acceptsGzip)
    let state = ServerStreamStateMachine(
      maximumMessageSize: configuration.maximumRequestSize,
      decompressor: head.encoding == .gzip ? GzipDecompressor() : nil)
    let call = HTTP2ServerCall(
      context: callContext, streamID: streamID, eventLoop: context.eventLoop, state: state,
      responseEncoding: head.acceptsGzip ? .gzip : .identity, connection: self)
    calls[streamID] = call
    cancelIdleTimer()
    if endStream { apply(call.state.inbound.receivedEnd(), to: call) }
    if let timeout = head.timeout {
      call.deadlineTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout.timeAmount)
      {
        call.deadlineTimer = nil
        self.abort(call, with: RPCStatus(code: .deadlineExceeded, message: "the deadline was exceeded"))
      }
    }
    let loop = context.eventLoop
    call.task = Task(executorPreference: executor) {
      let status = await handler.handle(call)
      if loop.inEventLoop {
        call.connection?.handlerFinished(call, status: status)
      } else {
        loop.execute { call.connection?.handlerFinished(call, status: status) }
      }
    }
  }

  /// A plain HTTP error: `status` with a short text body.
  private func respondHTTPError(streamID: Int32, status: Int, message: String) {
    GRPCHeaders.httpError(status: status, into: &session.headers)
    session.submitResponse(streamID: streamID, endStream: false, bodyEndsStream: true)
    session.appendBody(streamID: streamID, complete: true) { $0.writeString(message + "\n") }
    scheduleFlush()
  }

  /// A gRPC error before any handler ran: a trailers-only response.
  private func respondTrailersOnly(streamID: Int32, status: RPCStatus) {
    GRPCHeaders.trailersOnly(status, headerMetadata: Metadata(), into: &session.headers)
    session.submitResponse(streamID: streamID, endStream: true)
    scheduleFlush()
  }

  // MARK: Request side

  /// Carries out what the stream's state machine decided about received bytes.
  func apply(_ action: InboundMessageQueue.ReceiveAction, to call: HTTP2ServerCall) {
    switch action {
    case .consume(let count):
      session.consumeStream(call.streamID, count)
    case .fail(let status):
      abort(call, with: status)
    }
    call.requestStreamChanged()
  }

  /// The handler took messages: return their bytes to the client's window.
  func consume(streamID: Int32, count: Int) {
    guard count > 0 else { return }
    session.consumeStream(streamID, count)
    scheduleFlush()
  }

  // MARK: Response side

  /// Queues a response message of `call`.
  /// - Returns: whether the sender should wait for the body to drain.
  func send(_ message: RawMessage, on call: HTTP2ServerCall) throws -> Bool {
    switch call.state.send() {
    case .refuse:
      throw CancellationError()
    case .startResponse:
      GRPCHeaders.response(
        encoding: call.responseEncoding, metadata: call.context.responseHeaders,
        into: &session.headers)
      guard session.submitResponse(streamID: call.streamID, endStream: false) else {
        throw CancellationError()
      }
    case .append:
      break
    }
    var compressor: GzipCompressor?
    if message.compressed && call.responseEncoding == .gzip {
      if call.compressor == nil { call.compressor = GzipCompressor() }
      compressor = call.compressor
    }
    session.appendBody(streamID: call.streamID) {
      MessageFramer.frame(message, compressor: compressor, into: &$0)
    }
    scheduleFlush()
    return session.bufferedBodyBytes(streamID: call.streamID) > configuration.responseBufferHighWater
  }

  /// Whether `call` has more queued than the low-water mark (half the high-water mark).
  func isCongested(_ call: HTTP2ServerCall) -> Bool {
    session.bufferedBodyBytes(streamID: call.streamID) > configuration.responseBufferHighWater / 2
  }

  /// Remembers that `call` waits for its body to drain.
  func awaitDrain(of call: HTTP2ServerCall) {
    congested[call.streamID] = call
  }

  /// Wakes senders whose bodies drained below the low-water mark.
  func resumeDrainedWriters() {
    guard !congested.isEmpty else { return }
    for (streamID, call) in congested where !isCongested(call) {
      congested[streamID] = nil
      call.bodyDrainedBelowLowWater()
    }
  }

  // MARK: Ending calls

  /// The handler of `call` returned `status`.
  func handlerFinished(_ call: HTTP2ServerCall, status: RPCStatus) {
    call.handlerFinished = true
    call.deadlineTimer?.cancel()
    call.deadlineTimer = nil
    guard !call.cancelled else { return }
    end(call, with: status)
  }

  /// The server ends `call` with `status` while its handler may still run (deadline, broken
  /// request stream, shutdown): the status goes out and the handler is cancelled.
  func abort(_ call: HTTP2ServerCall, with status: RPCStatus) {
    guard !call.state.isClosed else {
      call.cancel()
      return
    }
    end(call, with: status)
    call.cancel()
  }

  /// Sends `status` as the call's end: trailers-only, or trailers after the body.
  private func end(_ call: HTTP2ServerCall, with status: RPCStatus) {
    switch call.state.finish(status) {
    case .trailersOnly(let status):
      GRPCHeaders.trailersOnly(
        status, headerMetadata: call.context.responseHeaders, into: &session.headers)
      session.submitResponse(streamID: call.streamID, endStream: true)
    case .completeBody:
      session.appendBody(streamID: call.streamID, complete: true) { _ in }
    case .none:
      break
    }
    scheduleFlush()
  }

  /// nghttp2 closed `streamID` (both sides done, or a reset by either side).
  func streamClosed(_ streamID: Int32, errorCode: UInt32) {
    guard let call = calls.removeValue(forKey: streamID) else { return }
    congested[streamID] = nil
    let endedCleanly = call.state.isClosed && call.handlerFinished
    call.state.streamClosed()
    call.connection = nil
    if !endedCleanly { call.cancel() }
    if calls.isEmpty {
      if isDraining {
        scheduleFlush()
      } else {
        scheduleIdleTimer()
      }
    }
  }
}
