import Synchronization
import WirebankProtobuf

/// The request messages of a client- or bidirectional-streaming call, as a handler reads them.
///
/// Iterate it once. A message that does not decode ends the iteration with
/// `RPCError(.internalError, …)`; a cancelled call ends it with `CancellationError`.
public struct RequestStream<Message: ProtobufMessage>: AsyncSequence, Sendable {
  /// Each element is one decoded request message.
  public typealias Element = Message

  private let nextMessage: @Sendable () async throws -> Message?

  init(nextMessage: @escaping @Sendable () async throws -> Message?) {
    self.nextMessage = nextMessage
  }

  /// A stream yielding `messages` in order, for calling handlers directly in tests.
  public init(_ messages: [Message]) {
    let remaining = Mutex(messages[...])
    self.init { remaining.withLock { $0.popFirst() } }
  }

  /// Iterates the request messages.
  public struct AsyncIterator: AsyncIteratorProtocol {
    fileprivate let nextMessage: @Sendable () async throws -> Message?
    fileprivate var finished = false

    /// The next request message, or nil once the client has finished sending.
    /// - Throws: `RPCError` for a message that does not decode, `CancellationError` when the
    ///   call is cancelled.
    public mutating func next() async throws -> Message? {
      guard !finished else { return nil }
      do {
        guard let message = try await nextMessage() else {
          finished = true
          return nil
        }
        return message
      } catch {
        finished = true
        throw error
      }
    }
  }

  /// An iterator over the request messages.
  public func makeAsyncIterator() -> AsyncIterator {
    AsyncIterator(nextMessage: nextMessage)
  }
}

/// Writes the response messages of a server- or bidirectional-streaming call.
public typealias ResponseWriter<Message: ProtobufMessage> = MessageWriter<Message>

/// Writes the messages of one side of a streaming call: requests on the client
/// (`RequestWriter`), responses on the server (`ResponseWriter`).
public struct MessageWriter<Message: ProtobufMessage>: Sendable {
  private let writeMessage: @Sendable (Message, _ compressed: Bool?) async throws -> Void

  init(writeMessage: @escaping @Sendable (Message, Bool?) async throws -> Void) {
    self.writeMessage = writeMessage
  }

  /// A writer that hands each message to `write`, for tests that call producers or handlers
  /// directly.
  public init(_ write: @escaping @Sendable (Message) async throws -> Void) {
    self.init { message, _ in try await write(message) }
  }

  /// Sends one message, compressed if the call negotiated compression (the client's
  /// `CallOptions.compression`, the server's `ServerContext.compressesResponses`).
  ///
  /// Suspends while the transport applies back-pressure.
  /// - Throws: `RPCError` when the message cannot be encoded; an error when the call has
  ///   ended or was cancelled.
  public func write(_ message: Message) async throws {
    try await writeMessage(message, nil)
  }

  /// Sends one message, choosing its compression for this message alone.
  /// - Throws: as `write(_:)`.
  public func write(_ message: Message, compressed: Bool) async throws {
    try await writeMessage(message, compressed)
  }

  /// Sends `messages` in order.
  /// - Throws: as `write(_:)`, stopping at the first failure.
  public func write(contentsOf messages: some Sequence<Message>) async throws {
    for message in messages { try await write(message) }
  }
}

extension ServerCall {
  /// Receives and decodes the next request message, noting its compression flag.
  func receiveMessage<Message: ProtobufMessage>(
    as type: Message.Type = Message.self
  ) async throws -> Message? {
    guard let raw = try await receive() else { return nil }
    context.noteRequest(compressed: raw.compressed)
    do {
      return try Message(serializedBytes: raw.bytes, options: context.decodingOptions)
    } catch {
      throw RPCError(decodingFailure: error)
    }
  }

  /// Encodes and sends one response message.
  func sendMessage(_ message: some ProtobufMessage, compressed: Bool? = nil) async throws {
    let bytes: [UInt8]
    do {
      bytes = try message.serializedBytes()
    } catch {
      throw RPCError(encodingFailure: error, of: "response")
    }
    try await send(RawMessage(bytes, compressed: compressed ?? context.compressesResponses))
  }

  /// The request stream of this call.
  func requestStream<Message: ProtobufMessage>() -> RequestStream<Message> {
    RequestStream { try await self.receiveMessage() }
  }

  /// The response writer of this call.
  func responseWriter<Message: ProtobufMessage>() -> ResponseWriter<Message> {
    ResponseWriter { message, compressed in
      try await self.sendMessage(message, compressed: compressed)
    }
  }
}
