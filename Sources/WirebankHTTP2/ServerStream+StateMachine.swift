import NIOCore
import WirebankRPC

/// The gRPC state of one server stream, apart from I/O: request messages in (deframed, held
/// against flow control by `InboundMessageQueue`), response headers → messages → trailers out.
///
/// Methods are named after events and return what the connection must do; the connection
/// carries that out on its nghttp2 session.
struct ServerStreamStateMachine {
  /// The response side.
  enum Outbound: Equatable {
    /// Nothing sent yet.
    case idle
    /// Response headers submitted; messages may follow.
    case streaming
    /// The body is complete; the trailers go out once it has drained.
    case closing(RPCStatus)
    /// The final status was submitted (trailers, or a trailers-only response), or the stream
    /// was reset.
    case closed
  }

  /// What a handler's `send(_:)` does.
  enum SendAction: Equatable {
    /// Submit the response headers with a body, then append the message.
    case startResponse
    /// Append the message to the body already under way.
    case append
    /// The call has ended: refuse the message.
    case refuse
  }

  /// How the call's status goes out.
  enum FinishAction: Equatable {
    /// Nothing was sent: one HEADERS frame with END_STREAM carries headers and status.
    case trailersOnly(RPCStatus)
    /// Mark the body complete; the trailers follow when it has drained (`bodyDrained`).
    case completeBody
    /// The call already ended.
    case none
  }

  /// The request messages.
  var inbound: InboundMessageQueue
  private(set) var outbound = Outbound.idle

  /// A stream whose request messages may be up to `maximumMessageSize` bytes, inflated by
  /// `decompressor` when the client compresses them.
  init(maximumMessageSize: Int, decompressor: GzipDecompressor?) {
    inbound = InboundMessageQueue(
      maximumMessageSize: maximumMessageSize, decompressor: decompressor)
  }

  /// Whether the client may still send on this stream.
  var isReceiving: Bool { inbound.isOpen }

  /// Whether the final status has been handed to the session (or the stream reset).
  var isClosed: Bool { outbound == .closed }

  /// Whether response messages went out (headers were submitted).
  var hasStartedResponse: Bool { outbound != .idle }

  // MARK: Response side

  /// The handler sends a response message.
  mutating func send() -> SendAction {
    switch outbound {
    case .idle:
      outbound = .streaming
      return .startResponse
    case .streaming:
      return .append
    case .closing, .closed:
      return .refuse
    }
  }

  /// The call ends with `status` (the handler returned, or the server aborts the call).
  mutating func finish(_ status: RPCStatus) -> FinishAction {
    switch outbound {
    case .idle:
      outbound = .closed
      return .trailersOnly(status)
    case .streaming:
      outbound = .closing(status)
      return .completeBody
    case .closing, .closed:
      return .none
    }
  }

  /// The body has drained: the status to send as trailers, if the call is closing.
  mutating func bodyDrained() -> RPCStatus? {
    guard case .closing(let status) = outbound else { return nil }
    outbound = .closed
    return status
  }

  /// The stream was closed or reset: nothing more goes out or comes in.
  mutating func streamClosed() {
    outbound = .closed
    inbound.close()
  }
}
