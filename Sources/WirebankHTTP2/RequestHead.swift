import WirebankRPC

/// What a server learns from a gRPC request's header block.
struct RequestHead: Sendable {
  /// `/service/method`.
  var path: String
  /// The client's `grpc-timeout`, if it sent one.
  var timeout: Duration?
  /// The algorithm request messages are compressed with (`grpc-encoding`).
  var encoding: CompressionAlgorithm
  /// Whether the client accepts gzip-compressed responses (`grpc-accept-encoding`).
  var acceptsGzip: Bool
  /// Custom metadata: every field but pseudo-headers, `content-type`, `te` and `grpc-*`.
  var metadata: Metadata

  /// Why a request is answered without running a handler.
  enum Rejection: Error, Equatable, Sendable {
    /// Not a gRPC request at all: answer with this HTTP status and a short text body.
    case http(status: Int, message: String)
    /// A gRPC request that fails before any handler: a trailers-only response with `status`.
    case grpc(RPCStatus)
  }

  /// Reads a request's header block.
  /// - Throws: `Rejection` when the request is not one the server can serve.
  static func parse(_ block: HeaderBlock) throws(Rejection) -> RequestHead {
    var method: String?
    var path: String?
    var contentType: String?
    var timeoutText: [UInt8]?
    var encodingName: String?
    var acceptsGzip = false
    var metadata = Metadata()
    var badMetadataKey: String?
    block.forEach { name, value in
      guard let first = name.first else { return }
      if first == UInt8(ascii: ":") {
        if name.equals(":method") {
          method = value.string
        } else if name.equals(":path") {
          path = value.string
        }
        return
      }
      if first == UInt8(ascii: "g") && name.hasPrefix("grpc-") {
        if name.equals("grpc-timeout") {
          timeoutText = Array(value)
        } else if name.equals("grpc-encoding") {
          encodingName = value.string
        } else if name.equals("grpc-accept-encoding") {
          acceptsGzip = HeaderValues.listContains(value, "gzip")
        }
        return
      }
      if name.equals("content-type") {
        contentType = value.string
        return
      }
      if name.equals("te") { return }
      if !MetadataCoding.add(name: name, value: value, to: &metadata) {
        badMetadataKey = name.string
      }
    }
    guard method == "POST" else {
      throw .http(status: 405, message: "gRPC requires the POST method")
    }
    guard let contentType, HeaderValues.isGRPCContentType(contentType) else {
      throw .http(status: 415, message: "unsupported content-type: gRPC needs application/grpc")
    }
    guard let path, path.utf8.first == UInt8(ascii: "/") else {
      throw .grpc(RPCStatus(code: .unimplemented, message: "malformed :path"))
    }
    var timeout: Duration?
    if let timeoutText {
      guard let parsed = GRPCTimeout.parse(timeoutText) else {
        throw .grpc(RPCStatus(code: .internalError, message: "malformed grpc-timeout"))
      }
      timeout = parsed
    }
    var encoding = CompressionAlgorithm.identity
    if let encodingName {
      guard let algorithm = CompressionAlgorithm(rawValue: encodingName) else {
        throw .grpc(
          RPCStatus(
            code: .unimplemented,
            message: "unsupported grpc-encoding \(encodingName.prefix(40))"))
      }
      encoding = algorithm
    }
    if let badMetadataKey {
      throw .grpc(
        RPCStatus(
          code: .internalError, message: "malformed metadata value for \(badMetadataKey.prefix(64))"))
    }
    return RequestHead(
      path: path, timeout: timeout, encoding: encoding, acceptsGzip: acceptsGzip,
      metadata: metadata)
  }
}

/// Parsing of the few structured header values gRPC uses.
enum HeaderValues {
  /// Whether `value` is `application/grpc`, optionally followed by `+format` or `;params`.
  static func isGRPCContentType(_ value: String) -> Bool {
    let prefix = "application/grpc"
    guard value.hasPrefix(prefix) else { return false }
    let rest = value.utf8.dropFirst(prefix.utf8.count)
    guard let next = rest.first else { return true }
    return next == UInt8(ascii: "+") || next == UInt8(ascii: ";")
  }

  /// Whether the comma-separated list `value` holds `token` (ignoring spaces and case).
  static func listContains(_ value: UnsafeRawBufferPointer, _ token: String) -> Bool {
    value.string.split(separator: ",").contains {
      $0.trimmingSpaces.lowercased() == token
    }
  }
}

extension Substring {
  /// The text without leading and trailing spaces and tabs.
  var trimmingSpaces: Substring {
    var text = self
    while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
    while let last = text.last, last == " " || last == "\t" { text.removeLast() }
    return text
  }
}

/// Conversion between header fields and `Metadata`, with base64 for `-bin` keys.
enum MetadataCoding {
  /// Adds the field `name: value` to `metadata`.
  /// - Returns: false when the value is malformed (a `-bin` value that is not base64); a field
  ///   whose name or text is outside gRPC's rules is skipped silently, as gRPC allows.
  static func add(
    name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, to metadata: inout Metadata
  ) -> Bool {
    let key = name.string
    if key.hasSuffix(Metadata.binarySuffix) {
      // Several values may be joined by commas (RFC 9110 §5.3); each is base64 on its own.
      for part in value.split(separator: UInt8(ascii: ",")) {
        let trimmed = part.drop { $0 == UInt8(ascii: " ") }
        guard let bytes = Base64.decode(trimmed) else { return false }
        try? metadata.add(key, bytes: bytes)
      }
      if value.isEmpty { try? metadata.add(key, bytes: []) }
      return true
    }
    try? metadata.add(key, .string(value.string))
    return true
  }

  /// Appends `metadata`'s entries to `headers`, base64-encoding binary values.
  static func append(_ metadata: Metadata, to headers: inout HeaderListBuilder) {
    for entry in metadata {
      switch entry.value {
      case .string(let text): headers.add(entry.key, text)
      case .binary(let bytes): headers.add(entry.key, Base64.encode(bytes))
      }
    }
  }
}
