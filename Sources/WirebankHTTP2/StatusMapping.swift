import WirebankRPC

/// How HTTP and HTTP/2 outcomes map to gRPC status codes.
///
/// From grpc/grpc `doc/http-grpc-status-mapping.md` (a response without `grpc-status`) and the
/// RST_STREAM table of `doc/PROTOCOL-HTTP2.md`.
enum StatusMapping {
  /// The code for an HTTP response status when the response carries no `grpc-status`.
  static func code(forHTTPStatus status: Int) -> StatusCode {
    switch status {
    case 400: return .internalError
    case 401: return .unauthenticated
    case 403: return .permissionDenied
    case 404: return .unimplemented
    case 429, 502, 503, 504: return .unavailable
    default: return .unknown
    }
  }

  /// The code for a stream reset with HTTP/2 error `errorCode` before its status arrived.
  static func code(forHTTP2Error errorCode: UInt32) -> StatusCode {
    switch errorCode {
    case HTTP2ErrorCode.refusedStream: return .unavailable
    case HTTP2ErrorCode.cancel: return .cancelled
    case HTTP2ErrorCode.enhanceYourCalm: return .resourceExhausted
    case HTTP2ErrorCode.inadequateSecurity: return .permissionDenied
    default: return .internalError
    }
  }

  /// The status of a stream reset by the peer with `errorCode` before its status arrived.
  static func status(forReset errorCode: UInt32) -> RPCStatus {
    RPCStatus(
      code: code(forHTTP2Error: errorCode),
      message: "the stream was reset (\(HTTP2ErrorCode.name(errorCode)))")
  }
}

/// HTTP/2 error codes (RFC 9113 §7).
enum HTTP2ErrorCode {
  static let noError: UInt32 = 0x0
  static let protocolError: UInt32 = 0x1
  static let internalError: UInt32 = 0x2
  static let flowControlError: UInt32 = 0x3
  static let settingsTimeout: UInt32 = 0x4
  static let streamClosed: UInt32 = 0x5
  static let frameSizeError: UInt32 = 0x6
  static let refusedStream: UInt32 = 0x7
  static let cancel: UInt32 = 0x8
  static let compressionError: UInt32 = 0x9
  static let connectError: UInt32 = 0xA
  static let enhanceYourCalm: UInt32 = 0xB
  static let inadequateSecurity: UInt32 = 0xC
  static let http11Required: UInt32 = 0xD

  /// The code's name from RFC 9113, as in `CANCEL`.
  static func name(_ code: UInt32) -> String {
    let names = [
      "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
      "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
      "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
    ]
    return code < names.count ? names[Int(code)] : "0x\(String(code, radix: 16))"
  }
}
