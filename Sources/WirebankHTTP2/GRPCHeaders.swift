import WirebankRPC

/// The header lists a gRPC server and client send (grpc/grpc `doc/PROTOCOL-HTTP2.md`).
enum GRPCHeaders {
  /// What `grpc-accept-encoding` advertises.
  static let acceptedEncodings = "gzip,identity"

  /// The user agent our client announces.
  static let userAgent = "grpc-swift-wirebank/0.1"

  // MARK: Server

  /// Response headers: `:status 200`, the content type, the response encoding and `metadata`.
  static func response(
    encoding: CompressionAlgorithm, metadata: Metadata, into headers: inout HeaderListBuilder
  ) {
    headers.add(":status", "200")
    headers.add("content-type", "application/grpc")
    if encoding == .gzip { headers.add("grpc-encoding", "gzip") }
    headers.add("grpc-accept-encoding", "gzip,identity")
    MetadataCoding.append(metadata, to: &headers)
  }

  /// Trailers ending a call with `status`.
  static func trailers(_ status: RPCStatus, into headers: inout HeaderListBuilder) {
    addStatus(status, into: &headers)
    MetadataCoding.append(status.trailers, to: &headers)
  }

  /// A trailers-only response: headers and status in one block that ends the stream.
  static func trailersOnly(
    _ status: RPCStatus, headerMetadata: Metadata, into headers: inout HeaderListBuilder
  ) {
    headers.add(":status", "200")
    headers.add("content-type", "application/grpc")
    headers.add("grpc-accept-encoding", "gzip,identity")
    addStatus(status, into: &headers)
    MetadataCoding.append(headerMetadata, to: &headers)
    MetadataCoding.append(status.trailers, to: &headers)
  }

  /// The head of a plain HTTP error response (the text body follows in DATA).
  static func httpError(status: Int, into headers: inout HeaderListBuilder) {
    headers.add(":status", String(status))
    headers.add("content-type", "text/plain; charset=utf-8")
  }

  private static func addStatus(_ status: RPCStatus, into headers: inout HeaderListBuilder) {
    headers.add("grpc-status", status.code == .ok ? "0" : String(status.code.rawValue))
    if !status.message.isEmpty {
      headers.add("grpc-message", PercentEncoding.encode(status.message))
    }
  }

  // MARK: Client

  /// Request headers for a call to `path`.
  static func request(
    path: String, authority: String, timeout: Duration?, encoding: CompressionAlgorithm,
    metadata: Metadata, into headers: inout HeaderListBuilder
  ) {
    headers.add(":method", "POST")
    headers.add(":scheme", "http")
    headers.add(":path", path)
    headers.add(":authority", authority)
    headers.add("content-type", "application/grpc")
    headers.add("te", "trailers")
    headers.add("user-agent", userAgent)
    if let timeout { headers.add("grpc-timeout", GRPCTimeout.encode(timeout)) }
    if encoding == .gzip { headers.add("grpc-encoding", "gzip") }
    headers.add("grpc-accept-encoding", "gzip,identity")
    MetadataCoding.append(metadata, to: &headers)
  }
}

/// What a client learns from a response's first header block.
struct ResponseHead: Sendable, Equatable {
  /// `:status`, or 0 when missing.
  var httpStatus: Int
  /// Whether the content type is `application/grpc…`.
  var isGRPC: Bool
  /// The response messages' encoding; nil when the server named one we do not support.
  var encoding: CompressionAlgorithm?
  /// The server's custom metadata.
  var metadata: Metadata
  /// The status, when the block carries `grpc-status` (a trailers-only response).
  var status: RPCStatus?

  /// Reads a response's first header block.
  static func parse(_ block: HeaderBlock) -> ResponseHead {
    var head = ResponseHead(
      httpStatus: 0, isGRPC: false, encoding: .identity, metadata: Metadata(), status: nil)
    let fields = StatusFields.read(block, metadata: &head.metadata) { name, value in
      if name.equals(":status") {
        head.httpStatus = Int(value.string) ?? 0
      } else if name.equals("content-type") {
        head.isGRPC = HeaderValues.isGRPCContentType(value.string)
      } else if name.equals("grpc-encoding") {
        head.encoding = CompressionAlgorithm(rawValue: value.string)
      }
    }
    head.status = fields.status(trailers: head.metadata)
    return head
  }

  /// The status of a call whose response ended with this block alone (trailers-only), or
  /// whose headers say it is not a gRPC response.
  var immediateStatus: RPCStatus? {
    if httpStatus != 200 {
      // A non-200 response: its grpc-status (if any) is not to be trusted over HTTP's.
      return RPCStatus(
        code: StatusMapping.code(forHTTPStatus: httpStatus),
        message: "the server answered with HTTP status \(httpStatus)", trailers: metadata)
    }
    if !isGRPC {
      return RPCStatus(
        code: .unknown, message: "the server's response is not gRPC (content-type)",
        trailers: metadata)
    }
    return status
  }

  /// Reads a trailer block into the call's final status.
  static func parseTrailers(_ block: HeaderBlock) -> RPCStatus {
    var metadata = Metadata()
    let fields = StatusFields.read(block, metadata: &metadata) { _, _ in }
    return fields.status(trailers: metadata)
      ?? RPCStatus(
        code: .unknown, message: "the server's trailers carry no grpc-status", trailers: metadata)
  }
}

/// `grpc-status` and `grpc-message` as read from a header block.
struct StatusFields {
  var code: Int?
  var message: String?

  /// Reads the status fields of `block`, adding custom fields to `metadata` and handing every
  /// other field to `other`.
  static func read(
    _ block: HeaderBlock, metadata: inout Metadata,
    other: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void
  ) -> StatusFields {
    var fields = StatusFields()
    block.forEach { name, value in
      if name.equals("grpc-status") {
        fields.code = Int(value.string)
      } else if name.equals("grpc-message") {
        fields.message = PercentEncoding.decode(value)
      } else if name.first == UInt8(ascii: ":")
        || (name.hasPrefix("grpc-") && !name.equals("grpc-status-details-bin"))
        || name.equals("content-type")
      {
        other(name, value)
      } else {
        _ = MetadataCoding.add(name: name, value: value, to: &metadata)
      }
    }
    return fields
  }

  /// The status these fields describe, or nil without `grpc-status`.
  func status(trailers: Metadata) -> RPCStatus? {
    guard let code else { return nil }
    return RPCStatus(
      code: StatusCode(rawValue: code) ?? .unknown, message: message ?? "", trailers: trailers)
  }
}
