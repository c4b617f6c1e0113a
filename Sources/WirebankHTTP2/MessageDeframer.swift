import WirebankRPC

/// Splits the DATA bytes of one stream into gRPC length-prefixed messages.
///
/// Each message is a 1-byte compressed flag, a 4-byte big-endian length and that many bytes
/// (grpc/grpc `doc/PROTOCOL-HTTP2.md`). Messages are checked against the size limit before
/// any of their body is buffered, and inflated (when flagged compressed) up to the same limit.
struct MessageDeframer {
  /// Why the bytes of a stream are not a valid sequence of messages.
  enum Failure: Error, Equatable {
    /// A message longer than the limit (on the wire or once inflated).
    case tooLarge(limit: Int)
    /// The compressed flag is set but the call negotiated no compression.
    case compressedWithoutEncoding
    /// A flag byte other than 0 or 1.
    case invalidFlag(UInt8)
    /// A compressed message that does not inflate.
    case corruptCompressedMessage
    /// The stream ended inside a message.
    case truncated

    /// The status a call ends with when its messages fail this way.
    var status: RPCStatus {
      switch self {
      case .tooLarge(let limit):
        return RPCStatus(
          code: .resourceExhausted, message: "message is larger than the limit of \(limit) bytes")
      case .compressedWithoutEncoding:
        return RPCStatus(
          code: .internalError, message: "compressed message without a grpc-encoding")
      case .invalidFlag(let flag):
        return RPCStatus(code: .internalError, message: "invalid message flag \(flag)")
      case .corruptCompressedMessage:
        return RPCStatus(code: .internalError, message: "compressed message does not inflate")
      case .truncated:
        return RPCStatus(code: .internalError, message: "the stream ended inside a message")
      }
    }
  }

  /// The largest message accepted, in bytes (after inflating).
  let maximumMessageSize: Int
  /// Inflates compressed messages; nil when the call negotiated no compression.
  var decompressor: GzipDecompressor?

  private var prefix: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0)
  private var prefixCount = 0
  private var body: [UInt8] = []
  private var bodyLength = 0

  /// A deframer accepting messages of up to `maximumMessageSize` bytes.
  init(maximumMessageSize: Int, decompressor: GzipDecompressor? = nil) {
    self.maximumMessageSize = maximumMessageSize
    self.decompressor = decompressor
  }

  /// Whether bytes of an incomplete message are buffered.
  var hasPartialMessage: Bool { prefixCount > 0 }

  /// Consumes `bytes`, handing each complete message to `onMessage` in order.
  /// - Throws: the first fault; the deframer must not be fed again after one.
  mutating func process(
    _ bytes: UnsafeRawBufferPointer, _ onMessage: (RawMessage) -> Void
  ) throws(Failure) {
    var offset = 0
    while offset < bytes.count {
      if prefixCount < 5 {
        let take = min(5 - prefixCount, bytes.count - offset)
        withUnsafeMutableBytes(of: &prefix) { raw in
          for index in 0..<take { raw[prefixCount + index] = bytes[offset + index] }
        }
        prefixCount += take
        offset += take
        guard prefixCount == 5 else { return }
        try startBody()
        if bodyLength == 0 {
          try deliver(UnsafeRawBufferPointer(start: nil, count: 0), onMessage)
          continue
        }
        // The whole body is here: no buffering.
        let length = bodyLength
        if bytes.count - offset >= length {
          offset += length
          try deliver(UnsafeRawBufferPointer(rebasing: bytes[offset - length..<offset]), onMessage)
          continue
        }
        body.reserveCapacity(bodyLength)
      }
      let take = min(bodyLength - body.count, bytes.count - offset)
      body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]))
      offset += take
      if body.count == bodyLength {
        let complete = body
        body = []
        let result = complete.withUnsafeBytes { buffer in
          Result { () throws(Failure) in try deliver(buffer, onMessage) }
        }
        try result.get()
      }
    }
  }

  /// Consumes `bytes` (see the pointer variant).
  mutating func process(_ bytes: [UInt8], _ onMessage: (RawMessage) -> Void) throws(Failure) {
    var copy = self
    let result = bytes.withUnsafeBytes { buffer in
      Result { () throws(Failure) in try copy.process(buffer, onMessage) }
    }
    self = copy
    try result.get()
  }

  /// Checks that the stream ended between messages.
  /// - Throws: `.truncated` when it ended inside one.
  func finish() throws(Failure) {
    if hasPartialMessage { throw .truncated }
  }

  private var flag: UInt8 { prefix.0 }

  private mutating func startBody() throws(Failure) {
    guard flag <= 1 else { throw .invalidFlag(flag) }
    if flag == 1 && decompressor == nil { throw .compressedWithoutEncoding }
    let length = Int(prefix.1) << 24 | Int(prefix.2) << 16 | Int(prefix.3) << 8 | Int(prefix.4)
    guard length <= maximumMessageSize else { throw .tooLarge(limit: maximumMessageSize) }
    bodyLength = length
  }

  private mutating func deliver(
    _ bytes: UnsafeRawBufferPointer, _ onMessage: (RawMessage) -> Void
  ) throws(Failure) {
    let compressed = flag == 1
    prefixCount = 0
    bodyLength = 0
    if compressed, let decompressor {
      do {
        let inflated = try decompressor.decompress(bytes, limit: maximumMessageSize)
        onMessage(RawMessage(inflated, compressed: true))
      } catch .tooLarge {
        throw .tooLarge(limit: maximumMessageSize)
      } catch {
        throw .corruptCompressedMessage
      }
    } else {
      onMessage(RawMessage([UInt8](bytes), compressed: false))
    }
  }
}
