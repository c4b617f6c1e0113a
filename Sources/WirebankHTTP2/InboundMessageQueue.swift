import NIOCore
import WirebankRPC

/// The receiving half of a gRPC stream, on either side: DATA bytes are deframed into messages
/// that wait for the reader, and the flow-control window is held while they wait.
///
/// Bytes of an incomplete message are returned to the peer's window as they arrive (the size
/// limit bounds them); bytes of complete messages are returned only once the reader has taken
/// them, so a slow reader slows the sender down instead of making this side buffer without
/// bound.
struct InboundMessageQueue {
  /// Whether more may come.
  enum State: Equatable {
    /// The peer may send more.
    case open
    /// The peer finished sending.
    case finished
    /// The stream broke (too large, bad framing): it ends with this status.
    case failed(RPCStatus)
  }

  /// What to do with DATA bytes just received.
  enum ReceiveAction: Equatable {
    /// Return this many bytes to the peer's stream window (0: hold them for now).
    case consume(Int)
    /// The stream is broken: end the call with this status.
    case fail(RPCStatus)
  }

  /// What a reader gets.
  enum Take: Equatable {
    /// The next message; `consume` bytes go back to the peer's window.
    case message(RawMessage, consume: Int)
    /// The peer finished sending.
    case end
    /// The stream broke with this status.
    case failed(RPCStatus)
    /// Nothing yet: wait.
    case wait
  }

  private(set) var state = State.open
  private var deframer: MessageDeframer
  private var messages = CircularBuffer<RawMessage>(initialCapacity: 1)
  /// Bytes received but not yet returned to the window, because messages wait unread.
  private(set) var heldBytes = 0

  /// A queue accepting messages of up to `maximumMessageSize` bytes, inflated by
  /// `decompressor` when they arrive compressed.
  init(maximumMessageSize: Int, decompressor: GzipDecompressor? = nil) {
    deframer = MessageDeframer(maximumMessageSize: maximumMessageSize, decompressor: decompressor)
  }

  /// Whether the peer may still send.
  var isOpen: Bool { state == .open }

  /// Whether no message waits.
  var isEmpty: Bool { messages.isEmpty }

  /// Sets the decompressor (a client learns the encoding from the response headers).
  mutating func setDecompressor(_ decompressor: GzipDecompressor?) {
    deframer.decompressor = decompressor
  }

  /// DATA payload arrived.
  mutating func receivedData(_ bytes: UnsafeRawBufferPointer) -> ReceiveAction {
    guard state == .open else { return .consume(bytes.count) }
    do {
      try deframer.process(bytes) { messages.append($0) }
    } catch {
      return fail(error.status)
    }
    if messages.isEmpty {
      defer { heldBytes = 0 }
      return .consume(bytes.count + heldBytes)
    }
    heldBytes += bytes.count
    return .consume(0)
  }

  /// The peer finished sending.
  mutating func receivedEnd() -> ReceiveAction {
    guard state == .open else { return .consume(0) }
    do {
      try deframer.finish()
    } catch {
      return fail(error.status)
    }
    state = .finished
    return .consume(0)
  }

  /// The reader asks for the next message.
  mutating func take() -> Take {
    if case .failed(let status) = state { return .failed(status) }
    if let message = messages.popFirst() {
      var consume = 0
      if messages.isEmpty {
        consume = heldBytes
        heldBytes = 0
      }
      return .message(message, consume: consume)
    }
    return state == .finished ? .end : .wait
  }

  /// The stream is gone: drop what waits; the reader sees the end.
  mutating func close() {
    if state == .open { state = .finished }
    messages.removeAll()
    heldBytes = 0
  }

  /// The stream broke with `status`.
  mutating func fail(_ status: RPCStatus) -> ReceiveAction {
    state = .failed(status)
    messages.removeAll()
    heldBytes = 0
    return .fail(status)
  }
}
