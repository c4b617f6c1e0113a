import Synchronization
import WirebankProtobuf

/// What a handler knows about the call it serves, and what it can say back besides messages.
///
/// A transport builds one per call. Copies share the response side (headers, trailers,
/// compression), so setting them through any copy affects the call.
public struct ServerContext: Sendable {
  /// The method being called.
  public let method: MethodDescriptor
  /// The client's request metadata (custom headers; reserved `grpc-` headers excluded).
  public let metadata: Metadata
  /// When the client stops waiting, from its `grpc-timeout`; nil when it set none.
  public let deadline: ContinuousClock.Instant?
  /// The client's address as the transport describes it, as in `ipv4:10.0.0.7:51000`.
  public let peer: String
  /// The limits requests are decoded with.
  public let decodingOptions: DecodingOptions

  private let response: ResponseState

  /// A context for one call; called by transports.
  /// - Parameters:
  ///   - method: the method the client called.
  ///   - metadata: the client's custom request metadata.
  ///   - deadline: when the client's timeout runs out, if it sent one.
  ///   - peer: a description of the client's address.
  ///   - decodingOptions: the limits for decoding request messages.
  ///   - compressesResponses: whether response messages are compressed unless a write says
  ///     otherwise (only when the call negotiated a compression algorithm).
  public init(
    method: MethodDescriptor, metadata: Metadata = Metadata(),
    deadline: ContinuousClock.Instant? = nil, peer: String,
    decodingOptions: DecodingOptions = .default, compressesResponses: Bool = false
  ) {
    self.method = method
    self.metadata = metadata
    self.deadline = deadline
    self.peer = peer
    self.decodingOptions = decodingOptions
    self.response = ResponseState(compressesResponses: compressesResponses)
  }

  /// Metadata sent as response headers before the first response message.
  ///
  /// Changes made after the first message (or after a trailers-only end) are not sent.
  public var responseHeaders: Metadata {
    get { response.fields.withLock { $0.headers } }
    nonmutating set { response.fields.withLock { $0.headers = newValue } }
  }

  /// Metadata sent as trailers with the final status.
  ///
  /// When the handler throws an `RPCError`, its metadata is appended to these.
  public var responseTrailers: Metadata {
    get { response.fields.withLock { $0.trailers } }
    nonmutating set { response.fields.withLock { $0.trailers = newValue } }
  }

  /// Whether response messages are compressed when a write does not say otherwise.
  ///
  /// Compression happens only if the call negotiated an algorithm with the client; this is how
  /// a unary handler chooses compression for its single response.
  public var compressesResponses: Bool {
    get { response.fields.withLock { $0.compressesResponses } }
    nonmutating set { response.fields.withLock { $0.compressesResponses = newValue } }
  }

  /// Whether the most recently received request message arrived compressed.
  public var lastRequestWasCompressed: Bool {
    response.fields.withLock { $0.lastRequestWasCompressed }
  }

  /// Records the compression flag of a received request message.
  func noteRequest(compressed: Bool) {
    response.fields.withLock { $0.lastRequestWasCompressed = compressed }
  }
}

/// The mutable, shared part of a `ServerContext`.
private final class ResponseState: Sendable {
  struct Fields {
    var headers = Metadata()
    var trailers = Metadata()
    var compressesResponses: Bool
    var lastRequestWasCompressed = false
  }

  let fields: Mutex<Fields>

  init(compressesResponses: Bool) {
    fields = Mutex(Fields(compressesResponses: compressesResponses))
  }
}
