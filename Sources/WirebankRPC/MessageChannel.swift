import Synchronization

/// A bounded, single-consumer queue of messages between two tasks, with back-pressure.
///
/// One direction of an in-process call. The producer's `send` suspends while `capacity`
/// messages wait; the consumer's `receive` suspends while none do. Either side's wait ends when
/// its task is cancelled (`CancellationError`) or the channel is failed (the failure is thrown).
final class MessageChannel<Element: Sendable>: Sendable {
  private struct Sender {
    let id: UInt64
    let element: Element
    let continuation: CheckedContinuation<Void, any Error>
  }

  private struct Receiver {
    let id: UInt64
    let continuation: CheckedContinuation<Element?, any Error>
  }

  private struct State {
    var buffer: [Element] = []
    var senders: [Sender] = []
    var receiver: Receiver?
    /// The producer has finished: after the buffer drains, `receive` returns nil.
    var finished = false
    /// The consumer has left without error: sends are dropped.
    var closedForSending = false
    /// The channel failed: every send and receive throws this.
    var failure: RPCError?
    var nextID: UInt64 = 0

    mutating func makeID() -> UInt64 {
      nextID += 1
      return nextID
    }
  }

  private let capacity: Int
  private let state = Mutex(State())

  /// A channel holding up to `capacity` messages before `send` waits.
  init(capacity: Int) {
    self.capacity = max(capacity, 1)
  }

  /// Queues `element`, waiting while the buffer is full.
  ///
  /// Returns at once, dropping the element, when the consumer has left without error.
  /// - Throws: the channel's failure, or `CancellationError` when the waiting task is cancelled.
  func send(_ element: Element) async throws {
    let id = state.withLock { $0.makeID() }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation {
        (continuation: CheckedContinuation<Void, any Error>) in
        let handOver = state.withLock { state -> (() -> Void) in
          if let failure = state.failure { return { continuation.resume(throwing: failure) } }
          if state.closedForSending || state.finished { return { continuation.resume() } }
          if let receiver = state.receiver {
            state.receiver = nil
            return {
              receiver.continuation.resume(returning: element)
              continuation.resume()
            }
          }
          if state.buffer.count < capacity {
            state.buffer.append(element)
            return { continuation.resume() }
          }
          if Task.isCancelled { return { continuation.resume(throwing: CancellationError()) } }
          state.senders.append(Sender(id: id, element: element, continuation: continuation))
          return {}
        }
        handOver()
      }
    } onCancel: {
      let sender = state.withLock { state -> Sender? in
        guard let index = state.senders.firstIndex(where: { $0.id == id }) else { return nil }
        return state.senders.remove(at: index)
      }
      sender?.continuation.resume(throwing: CancellationError())
    }
  }

  /// The next element, or nil once the producer has finished and the buffer is drained.
  /// - Throws: the channel's failure, or `CancellationError` when the waiting task is cancelled.
  func receive() async throws -> Element? {
    let id = state.withLock { $0.makeID() }
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation {
        (continuation: CheckedContinuation<Element?, any Error>) in
        let handOver = state.withLock { state -> (() -> Void) in
          if let failure = state.failure { return { continuation.resume(throwing: failure) } }
          if !state.buffer.isEmpty {
            let element = state.buffer.removeFirst()
            let admitted = state.senders.isEmpty ? nil : state.senders.removeFirst()
            if let admitted { state.buffer.append(admitted.element) }
            return {
              admitted?.continuation.resume()
              continuation.resume(returning: element)
            }
          }
          if state.finished || state.closedForSending {
            return { continuation.resume(returning: nil) }
          }
          if Task.isCancelled { return { continuation.resume(throwing: CancellationError()) } }
          state.receiver = Receiver(id: id, continuation: continuation)
          return {}
        }
        handOver()
      }
    } onCancel: {
      let receiver = state.withLock { state -> Receiver? in
        guard let receiver = state.receiver, receiver.id == id else { return nil }
        state.receiver = nil
        return receiver
      }
      receiver?.continuation.resume(throwing: CancellationError())
    }
  }

  /// Marks the end of the producer's messages; the consumer gets nil after the buffer drains.
  func finish() {
    let receiver = state.withLock { state -> Receiver? in
      state.finished = true
      guard state.buffer.isEmpty, state.senders.isEmpty else { return nil }
      defer { state.receiver = nil }
      return state.receiver
    }
    receiver?.continuation.resume(returning: nil)
  }

  /// The consumer leaves without error: queued and future messages are dropped.
  func closeForSending() {
    let (senders, receiver) = state.withLock { state -> ([Sender], Receiver?) in
      state.closedForSending = true
      state.buffer.removeAll()
      defer {
        state.senders.removeAll()
        state.receiver = nil
      }
      return (state.senders, state.receiver)
    }
    for sender in senders { sender.continuation.resume() }
    receiver?.continuation.resume(returning: nil)
  }

  /// Fails the channel: queued messages are dropped and every waiting or later call throws.
  ///
  /// The first failure sticks; later ones are ignored.
  func fail(_ error: RPCError) {
    let (senders, receiver) = state.withLock { state -> ([Sender], Receiver?) in
      if state.failure == nil { state.failure = error }
      state.buffer.removeAll()
      defer {
        state.senders.removeAll()
        state.receiver = nil
      }
      return (state.senders, state.receiver)
    }
    let failure = state.withLock { $0.failure } ?? error
    for sender in senders { sender.continuation.resume(throwing: failure) }
    receiver?.continuation.resume(throwing: failure)
  }
}
