import WirebankProtobuf

/// Writes the request messages of a client- or bidirectional-streaming call.
public typealias RequestWriter<Message: ProtobufMessage> = MessageWriter<Message>

/// The response messages of a server- or bidirectional-streaming call, as a client reads them.
///
/// Iterate it once. Iteration ends normally when the call ends with OK; a call that ends with
/// another status throws it as `RPCError`, and so does a message that does not decode
/// (INTERNAL) or exceeds `CallOptions.maximumResponseSize` (RESOURCE_EXHAUSTED).
public struct ResponseStream<Message: ProtobufMessage>: AsyncSequence, Sendable {
  /// Each element is one decoded response message.
  public typealias Element = Message

  private let stream: any ClientStream
  private let options: DecodingOptions

  init(stream: any ClientStream, options: DecodingOptions) {
    self.stream = stream
    self.options = options
  }

  /// The server's response headers (waits for them, or for the end of a trailers-only call).
  public func responseHeaders() async -> Metadata {
    await stream.responseHeaders()
  }

  /// The server's trailers; waits for the call to end.
  public func trailers() async -> Metadata {
    await stream.status().trailers
  }

  /// Iterates the response messages.
  public struct AsyncIterator: AsyncIteratorProtocol {
    fileprivate let stream: any ClientStream
    fileprivate let options: DecodingOptions
    fileprivate var finished = false

    /// The next response message, or nil once the call has ended with OK.
    /// - Throws: `RPCError` with the call's status when it ended otherwise, or for a message
    ///   that does not decode.
    public mutating func next() async throws -> Message? {
      guard !finished else { return nil }
      if let raw = await stream.receive() {
        do {
          return try decodeResponse(raw, options: options)
        } catch {
          finished = true
          stream.cancel()
          throw error
        }
      }
      finished = true
      let status = await stream.status()
      guard status.code == .ok else { throw RPCError(status: status) }
      return nil
    }
  }

  /// An iterator over the response messages.
  public func makeAsyncIterator() -> AsyncIterator {
    AsyncIterator(stream: stream, options: options)
  }
}

/// Decodes a response message, mapping failures to INTERNAL or RESOURCE_EXHAUSTED.
func decodeResponse<Message: ProtobufMessage>(
  _ raw: RawMessage, options: DecodingOptions
) throws(RPCError) -> Message {
  do {
    return try Message(serializedBytes: raw.bytes, options: options)
  } catch {
    throw RPCError(decodingFailure: error)
  }
}

/// Encodes a request message, mapping failures to INTERNAL.
func encodeRequest(_ message: some ProtobufMessage) throws(RPCError) -> [UInt8] {
  do {
    return try message.serializedBytes()
  } catch {
    throw RPCError(encodingFailure: error, of: "request")
  }
}
