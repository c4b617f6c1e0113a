import WirebankProtobuf

/// An error that ends a call with a gRPC status: what handlers throw and clients catch.
///
/// `code`, `message` and `metadata` travel to the peer (the metadata as trailers); `cause`
/// stays in this process, for logs, and is never put on the wire.
public struct RPCError: Error, Sendable, CustomStringConvertible {
  /// The status code the call ends with.
  public var code: StatusCode
  /// A message for the peer's developers; it must not carry secrets or internals.
  public var message: String
  /// Trailing metadata sent with the status.
  public var metadata: Metadata
  /// The underlying error, kept for local diagnosis only.
  public var cause: (any Error)?

  /// An error with the given status code and message.
  public init(
    code: StatusCode, message: String, metadata: Metadata = Metadata(),
    cause: (any Error)? = nil
  ) {
    self.code = code
    self.message = message
    self.metadata = metadata
    self.cause = cause
  }

  /// An error with the given status code and message (the unlabelled spelling).
  public init(
    _ code: StatusCode, _ message: String, metadata: Metadata = Metadata(),
    cause: (any Error)? = nil
  ) {
    self.init(code: code, message: message, metadata: metadata, cause: cause)
  }

  /// The error a call that ended with `status` is reported as.
  public init(status: RPCStatus) {
    self.init(code: status.code, message: status.message, metadata: status.trailers)
  }

  /// The error for a message that could not be decoded.
  ///
  /// Maps to INTERNAL (or RESOURCE_EXHAUSTED for a message over the size limit), as
  /// `doc/statuscodes.md` asks; the message names the type and the kind of fault but no bytes,
  /// offsets or field values. The full error is kept as `cause`.
  public init(decodingFailure error: ProtobufDecodingError) {
    if error.code == .tooLarge {
      self.init(
        code: .resourceExhausted,
        message: "\(error.messageName) message is larger than the limit", cause: error)
    } else {
      self.init(
        code: .internalError, message: "cannot decode \(error.messageName): \(error.code)",
        cause: error)
    }
  }

  /// The error for a message that could not be encoded (INTERNAL; the cause stays local).
  public init(encodingFailure error: ProtobufEncodingError, of role: String) {
    self.init(code: .internalError, message: "cannot encode the \(role) message", cause: error)
  }

  /// `CODE: message`, without the cause.
  public var description: String {
    message.isEmpty ? "\(code)" : "\(code): \(message)"
  }
}

/// The final status of a call with its trailing metadata, as a server sends it in trailers.
public struct RPCStatus: Sendable, Hashable, CustomStringConvertible {
  /// The status code.
  public var code: StatusCode
  /// The status message (`grpc-message`), empty on success.
  public var message: String
  /// Trailing metadata sent with the status.
  public var trailers: Metadata

  /// A status with the given parts.
  public init(code: StatusCode, message: String = "", trailers: Metadata = Metadata()) {
    self.code = code
    self.message = message
    self.trailers = trailers
  }

  /// The status a thrown `error` ends a call with.
  public init(_ error: RPCError) {
    self.init(code: error.code, message: error.message, trailers: error.metadata)
  }

  /// Success, with no message and no trailers.
  public static let ok = RPCStatus(code: .ok)

  /// `CODE: message`.
  public var description: String {
    message.isEmpty ? "\(code)" : "\(code): \(message)"
  }
}
