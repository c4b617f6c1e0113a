import NIOCore
import WirebankRPC

/// One call of an `HTTP2ClientTransport`: the `ClientStream` the typed client methods use.
///
/// All state lives on the connection's event loop (the transport runs the call's body with
/// that loop as its task executor, so the methods normally run there without a hop). The call
/// ends once, with `complete(_:)`: trailers, a reset, the deadline, a cancellation or the loss
/// of the connection; every waiter is then woken.
final class HTTP2ClientCall: ClientStream, @unchecked Sendable {
  let method: MethodDescriptor
  let options: CallOptions
  let eventLoop: any EventLoop
  /// When the call's timeout runs out.
  let deadline: NIODeadline?

  /// Loop-confined from here on.
  var streamID: Int32?
  var connection: ClientConnectionHandler?
  var inbound: InboundMessageQueue
  var headers: Metadata?
  var finalStatus: RPCStatus?
  var halfClosed = false
  var compressor: GzipCompressor?
  var deadlineTimer: Scheduled<Void>?

  private var openWaiter: CheckedContinuation<Void, any Error>?
  private var receiveWaiter: CheckedContinuation<RawMessage?, Never>?
  private var headerWaiters: [CheckedContinuation<Metadata, Never>] = []
  private var statusWaiters: [CheckedContinuation<RPCStatus, Never>] = []
  private var drainWaiter: CheckedContinuation<Void, any Error>?

  init(method: MethodDescriptor, options: CallOptions, eventLoop: any EventLoop) {
    self.method = method
    self.options = options
    self.eventLoop = eventLoop
    self.deadline = options.timeout.map { NIODeadline.now() + $0.timeAmount }
    self.inbound = InboundMessageQueue(maximumMessageSize: options.maximumResponseSize)
  }

  // MARK: ClientStream

  func send(_ message: RawMessage) async throws {
    let mustWait = try await onLoop { try self.sendOnLoop(message) }
    guard mustWait else { return }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { continuation in
        self.runOnLoop { self.waitForDrain(continuation) }
      }
    } onCancel: {
      self.cancel()
    }
  }

  func finish() async {
    await onLoop {
      guard !self.halfClosed else { return }
      self.halfClosed = true
      guard self.finalStatus == nil, let streamID = self.streamID, let connection = self.connection
      else { return }
      connection.finishBody(streamID: streamID)
    }
  }

  func receive() async -> RawMessage? {
    if eventLoop.inEventLoop, let ready = takeOnLoop() { return ready }
    return await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        self.runOnLoop {
          if let ready = self.takeOnLoop() {
            continuation.resume(returning: ready)
          } else {
            self.receiveWaiter = continuation
          }
        }
      }
    } onCancel: {
      self.cancel()
    }
  }

  func responseHeaders() async -> Metadata {
    await withCheckedContinuation { continuation in
      runOnLoop {
        if let headers = self.headers {
          continuation.resume(returning: headers)
        } else {
          self.headerWaiters.append(continuation)
        }
      }
    }
  }

  func status() async -> RPCStatus {
    await withCheckedContinuation { continuation in
      runOnLoop {
        if let status = self.finalStatus {
          continuation.resume(returning: status)
        } else {
          self.statusWaiters.append(continuation)
        }
      }
    }
  }

  func cancel() {
    runOnLoop {
      self.fail(RPCStatus(code: .cancelled, message: "the client cancelled the call"))
    }
  }

  // MARK: Opening

  /// Waits until the manager has opened the stream (or the call failed first).
  func waitUntilOpen(_ manager: ClientConnectionManager) async throws {
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation {
        (continuation: CheckedContinuation<Void, any Error>) in
        self.runOnLoop {
          if let status = self.finalStatus {
            continuation.resume(throwing: RPCError(status: status))
            return
          }
          self.openWaiter = continuation
          self.startDeadlineTimer()
          manager.open(self)
        }
      }
    } onCancel: {
      self.cancel()
    }
  }

  /// Whether the call still waits to be opened.
  var isWaitingToOpen: Bool { openWaiter != nil && finalStatus == nil }

  /// The stream is submitted on `connection`.
  func opened(streamID: Int32, on connection: ClientConnectionHandler) {
    self.streamID = streamID
    self.connection = connection
    openWaiter?.resume()
    openWaiter = nil
  }

  private func startDeadlineTimer() {
    guard let deadline else { return }
    deadlineTimer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
      self.deadlineTimer = nil
      self.fail(RPCStatus(code: .deadlineExceeded, message: "the deadline was exceeded"))
    }
  }

  // MARK: Events from the connection (on the loop)

  /// The call ended locally (cancel, deadline, broken response, lost connection): the
  /// server is told with RST_STREAM(CANCEL) and queued responses are dropped.
  func fail(_ status: RPCStatus) {
    guard finalStatus == nil else { return }
    if let streamID, let connection {
      connection.reset(streamID: streamID, errorCode: HTTP2ErrorCode.cancel)
    }
    inbound.close()
    complete(status)
  }

  /// The call ended with `status`; messages already received stay readable.
  func complete(_ status: RPCStatus) {
    guard finalStatus == nil else { return }
    finalStatus = status
    deadlineTimer?.cancel()
    deadlineTimer = nil
    if case .open = inbound.state { _ = inbound.receivedEnd() }
    if headers == nil { headers = Metadata() }
    let error = RPCError(status: status)
    openWaiter?.resume(throwing: error)
    openWaiter = nil
    for waiter in headerWaiters { waiter.resume(returning: headers ?? Metadata()) }
    headerWaiters.removeAll()
    for waiter in statusWaiters { waiter.resume(returning: status) }
    statusWaiters.removeAll()
    wakeReceiver()
    if status.code == .ok {
      drainWaiter?.resume()
    } else {
      drainWaiter?.resume(throwing: error)
    }
    drainWaiter = nil
  }

  /// Response headers arrived.
  func headersReceived(_ metadata: Metadata) {
    guard headers == nil else { return }
    headers = metadata
    for waiter in headerWaiters { waiter.resume(returning: metadata) }
    headerWaiters.removeAll()
  }

  /// Messages arrived or the stream ended: wake a waiting `receive()`.
  func wakeReceiver() {
    guard let waiter = receiveWaiter, let ready = takeOnLoop() else { return }
    receiveWaiter = nil
    waiter.resume(returning: ready)
  }

  /// The body drained below the low-water mark.
  func bodyDrained() {
    drainWaiter?.resume()
    drainWaiter = nil
  }

  // MARK: Helpers

  /// A message, nil for the end, or an outer nil when the reader must wait.
  private func takeOnLoop() -> RawMessage?? {
    switch inbound.take() {
    case .message(let message, let consume):
      if let streamID, let connection { connection.consume(streamID: streamID, count: consume) }
      return .some(message)
    case .end, .failed:
      return finalStatus == nil ? .none : .some(nil)
    case .wait:
      return finalStatus == nil ? .none : .some(nil)
    }
  }

  private func sendOnLoop(_ message: RawMessage) throws -> Bool {
    if let status = finalStatus {
      // After an OK end the server no longer reads: drop the message.
      if status.code == .ok { return false }
      throw RPCError(status: status)
    }
    guard !halfClosed, let streamID, let connection else { return false }
    var compressor: GzipCompressor?
    if message.compressed && options.compression == .gzip {
      if self.compressor == nil { self.compressor = GzipCompressor() }
      compressor = self.compressor
    }
    return connection.appendMessage(message, compressor: compressor, streamID: streamID)
  }

  private func waitForDrain(_ continuation: CheckedContinuation<Void, any Error>) {
    if let status = finalStatus {
      if status.code == .ok {
        continuation.resume()
      } else {
        continuation.resume(throwing: RPCError(status: status))
      }
      return
    }
    guard let streamID, let connection, connection.isCongested(streamID: streamID) else {
      continuation.resume()
      return
    }
    drainWaiter = continuation
    connection.awaitDrain(of: self)
  }

  private func runOnLoop(_ body: @escaping () -> Void) {
    if eventLoop.inEventLoop {
      body()
    } else {
      let unsafe = UnsafeTransfer(body)
      eventLoop.execute { unsafe.value() }
    }
  }

  private func onLoop<T: Sendable>(_ body: @escaping () throws -> T) async throws -> T {
    if eventLoop.inEventLoop { return try body() }
    let unsafe = UnsafeTransfer(body)
    return try await eventLoop.submit { try unsafe.value() }.get()
  }

  private func onLoop(_ body: @escaping () -> Void) async {
    if eventLoop.inEventLoop { return body() }
    let unsafe = UnsafeTransfer(body)
    try? await eventLoop.submit { unsafe.value() }.get()
  }
}

/// Moves a loop-confined value across a `@Sendable` boundary to the loop that owns it.
struct UnsafeTransfer<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
