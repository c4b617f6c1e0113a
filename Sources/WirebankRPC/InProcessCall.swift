import Synchronization

/// One call of an `InProcessTransport`: two message channels joined to a handler task.
///
/// The first of two events settles the call: the handler returns (`serverFinished`), or the
/// call is reset (`reset`: client cancelled, deadline passed). A reset fails both channels and
/// cancels the handler task, as an HTTP/2 RST_STREAM would.
final class InProcessCall: Sendable {
  /// Messages a channel holds before the writer waits for the reader.
  static let bufferCapacity = 16

  let context: ServerContext
  let requests = MessageChannel<RawMessage>(capacity: InProcessCall.bufferCapacity)
  let responses = MessageChannel<RawMessage>(capacity: InProcessCall.bufferCapacity)
  let headers = Completion<Metadata>()
  let status = Completion<RPCStatus>()
  private let handlerTask = Mutex<Task<Void, Never>?>(nil)

  init(context: ServerContext) {
    self.context = context
  }

  /// Runs `operation` (the handler) in a task of its own, as a server would.
  func startHandler(_ operation: @escaping @Sendable () async -> Void) {
    let task = Task { await operation() }
    handlerTask.withLock { $0 = task }
    if status.isCompleted { task.cancel() }
  }

  /// The handler has returned `result`: the client reads the remaining responses, then it.
  func serverFinished(_ result: RPCStatus) {
    guard status.complete(result) else { return }
    headers.complete(context.responseHeaders)
    responses.finish()
    if result.code == .ok {
      requests.closeForSending()
    } else {
      requests.fail(RPCError(status: result))
    }
  }

  /// Ends the call at once with `result`, dropping queued messages and cancelling the handler.
  func reset(_ result: RPCStatus) {
    guard status.complete(result) else { return }
    headers.complete(Metadata())
    let error = RPCError(status: result)
    requests.fail(error)
    responses.fail(error)
    handlerTask.withLock { $0 }?.cancel()
  }
}

/// The server side of an in-process call, handed to `MethodHandler.handle(_:)`.
struct InProcessServerCall: ServerCall {
  let call: InProcessCall

  var context: ServerContext { call.context }

  func receive() async throws -> RawMessage? {
    try await call.requests.receive()
  }

  func send(_ message: RawMessage) async throws {
    call.headers.complete(context.responseHeaders)
    try await call.responses.send(message)
  }
}

/// The client side of an in-process call, handed to the body of `withStream`.
struct InProcessClientStream: ClientStream {
  let call: InProcessCall

  func send(_ message: RawMessage) async throws {
    do {
      try await call.requests.send(message)
    } catch is CancellationError {
      cancel()
      throw RPCError(status: await call.status.value)
    }
  }

  func finish() async {
    call.requests.finish()
  }

  func receive() async -> RawMessage? {
    do {
      return try await call.responses.receive()
    } catch {
      // A failed channel means the call was reset; a cancelled wait means the client's task
      // was cancelled, which cancels the call. Either way no more responses come.
      cancel()
      return nil
    }
  }

  func responseHeaders() async -> Metadata {
    await call.headers.value
  }

  func status() async -> RPCStatus {
    await call.status.value
  }

  func cancel() {
    call.reset(RPCStatus(code: .cancelled, message: "the client cancelled the call"))
  }
}

/// A value set once and awaited by any number of tasks.
///
/// Waits are not cancellable: every `InProcessCall` completes its values when it is settled,
/// and cancelling the client's task settles it.
final class Completion<Value: Sendable>: Sendable {
  private struct State {
    var value: Value?
    var waiters: [CheckedContinuation<Value, Never>] = []
  }

  private let state = Mutex(State())

  /// Whether the value has been set.
  var isCompleted: Bool { state.withLock { $0.value != nil } }

  /// Sets the value unless it is set already.
  /// - Returns: whether this call set it.
  @discardableResult
  func complete(_ value: Value) -> Bool {
    let waiters = state.withLock { state -> [CheckedContinuation<Value, Never>]? in
      guard state.value == nil else { return nil }
      state.value = value
      defer { state.waiters.removeAll() }
      return state.waiters
    }
    guard let waiters else { return false }
    for waiter in waiters { waiter.resume(returning: value) }
    return true
  }

  /// The value, once it is set.
  var value: Value {
    get async {
      await withCheckedContinuation { continuation in
        let ready = state.withLock { state -> Value? in
          if let value = state.value { return value }
          state.waiters.append(continuation)
          return nil
        }
        if let ready { continuation.resume(returning: ready) }
      }
    }
  }
}
