import NIOCore
import WirebankRPC

/// One call on a server connection: the `ServerCall` its handler sees.
///
/// All state lives on the connection's event loop. The handler task prefers that loop as its
/// executor, so `receive()` and `send(_:)` normally run there and take the fast path: no hop,
/// no lock, and no suspension when a message is already waiting. Called from elsewhere, they
/// hop onto the loop first.
final class HTTP2ServerCall: ServerCall, @unchecked Sendable {
  let context: ServerContext
  let streamID: Int32
  let eventLoop: any EventLoop

  /// Loop-confined from here on.
  var state: ServerStreamStateMachine
  /// The connection serving the call; nil once the stream is gone.
  var connection: ServerConnectionHandler?
  /// The task running the handler.
  var task: Task<Void, Never>?
  /// The handler has returned.
  var handlerFinished = false
  /// The call was cancelled (client reset, deadline, shutdown): operations throw.
  var cancelled = false
  /// Compresses response messages; created when the first compressed one goes out.
  var compressor: GzipCompressor?
  /// Whether response messages may be compressed (the client accepts gzip).
  let responseEncoding: CompressionAlgorithm
  /// Fires when the client's deadline passes.
  var deadlineTimer: Scheduled<Void>?

  private var receiveWaiter: CheckedContinuation<RawMessage?, any Error>?
  private var drainWaiter: CheckedContinuation<Void, any Error>?

  init(
    context: ServerContext, streamID: Int32, eventLoop: any EventLoop,
    state: ServerStreamStateMachine, responseEncoding: CompressionAlgorithm,
    connection: ServerConnectionHandler
  ) {
    self.context = context
    self.streamID = streamID
    self.eventLoop = eventLoop
    self.state = state
    self.responseEncoding = responseEncoding
    self.connection = connection
  }

  // MARK: ServerCall

  func receive() async throws -> RawMessage? {
    if eventLoop.inEventLoop {
      switch try takeOnLoop() {
      case .some(let message): return message
      case .none: break
      }
    }
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { continuation in
        if eventLoop.inEventLoop {
          self.waitForMessage(continuation)
        } else {
          eventLoop.execute { self.waitForMessage(continuation) }
        }
      }
    } onCancel: {
      eventLoop.execute { self.failWaiters(CancellationError()) }
    }
  }

  func send(_ message: RawMessage) async throws {
    let mustWait: Bool
    if eventLoop.inEventLoop {
      mustWait = try sendOnLoop(message)
    } else {
      mustWait = try await eventLoop.submit { try self.sendOnLoop(message) }.get()
    }
    guard mustWait else { return }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { continuation in
        if eventLoop.inEventLoop {
          self.waitForDrain(continuation)
        } else {
          eventLoop.execute { self.waitForDrain(continuation) }
        }
      }
    } onCancel: {
      eventLoop.execute { self.failWaiters(CancellationError()) }
    }
  }

  // MARK: On the loop

  /// Result of taking a message without waiting: a message, nil for the end, or an outer nil
  /// when the caller must wait.
  private func takeOnLoop() throws -> RawMessage?? {
    if cancelled { throw CancellationError() }
    switch state.inbound.take() {
    case .message(let message, let consume):
      connection?.consume(streamID: streamID, count: consume)
      return .some(message)
    case .end:
      return .some(nil)
    case .failed(let status):
      throw RPCError(status: status)
    case .wait:
      return .none
    }
  }

  private func waitForMessage(_ continuation: CheckedContinuation<RawMessage?, any Error>) {
    do {
      if let ready = try takeOnLoop() {
        continuation.resume(returning: ready)
        return
      }
    } catch {
      continuation.resume(throwing: error)
      return
    }
    if Task.isCancelled {
      continuation.resume(throwing: CancellationError())
      return
    }
    receiveWaiter = continuation
  }

  /// Messages or the end arrived: wake a waiting `receive()`.
  func requestStreamChanged() {
    guard let waiter = receiveWaiter else { return }
    receiveWaiter = nil
    waitForMessage(waiter)
  }

  /// Queues `message` for sending.
  /// - Returns: whether the caller should wait for the body to drain (back-pressure).
  private func sendOnLoop(_ message: RawMessage) throws -> Bool {
    if cancelled { throw CancellationError() }
    guard let connection else { throw CancellationError() }
    return try connection.send(message, on: self)
  }

  private func waitForDrain(_ continuation: CheckedContinuation<Void, any Error>) {
    if cancelled || connection == nil {
      continuation.resume(throwing: CancellationError())
      return
    }
    guard let connection, connection.isCongested(self) else {
      continuation.resume()
      return
    }
    drainWaiter = continuation
    connection.awaitDrain(of: self)
  }

  /// The body drained below the low-water mark: let a waiting `send` return.
  func bodyDrainedBelowLowWater() {
    drainWaiter?.resume()
    drainWaiter = nil
  }

  /// Fails any waiting `receive()` or `send(_:)`.
  func failWaiters(_ error: any Error) {
    receiveWaiter?.resume(throwing: error)
    receiveWaiter = nil
    drainWaiter?.resume(throwing: error)
    drainWaiter = nil
  }

  /// Cancels the call: the handler task is cancelled and every wait ends.
  func cancel() {
    guard !cancelled else { return }
    cancelled = true
    deadlineTimer?.cancel()
    deadlineTimer = nil
    failWaiters(CancellationError())
    if !handlerFinished { task?.cancel() }
  }
}
