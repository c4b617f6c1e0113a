import WirebankContracts
import WirebankPostgres
import WirebankProtobuf
import WirebankRPC

import Foundation

/// The field-level faults of one request, gathered so that all of them are reported at once.
public struct FieldViolations: Sendable {
  /// The violations found so far.
  public private(set) var items: [CommonFieldViolation] = []

  /// No violations yet.
  public init() {}

  /// Records that `field` (a dotted path, as in `applicant.identity_document.number`) is invalid.
  public mutating func add(_ field: String, _ description: String) {
    var violation = CommonFieldViolation()
    violation.field = field
    violation.descriptionText = description
    items.append(violation)
  }

  /// Whether the request passed every check so far.
  public var isEmpty: Bool { items.isEmpty }

  /// Throws INVALID_ARGUMENT with a BadRequest listing every violation, if there is any.
  public func check(domain: String) throws(RPCError) {
    guard !items.isEmpty else { return }
    let fields = items.map(\.field).joined(separator: ", ")
    throw RPCError.detailed(
      .invalidArgument, "invalid request: \(fields)", reason: "INVALID_ARGUMENT",
      domain: domain, violations: items)
  }
}

extension RPCError {
  /// An error whose `grpc-status-details-bin` trailer (a `wirebank.common.v1.Status`, laid out
  /// as google.rpc.Status) carries an ErrorInfo (`reason`, `domain`, `metadata`) and, for
  /// invalid requests, a BadRequest naming every offending field.
  public static func detailed(
    _ code: StatusCode, _ message: String, reason: String, domain: String,
    metadata: [String: String] = [:], violations: [CommonFieldViolation] = []
  ) -> RPCError {
    var status = CommonStatus()
    status.code = Int32(code.rawValue)
    status.message = message
    if !violations.isEmpty {
      var badRequest = CommonBadRequest()
      badRequest.fieldViolations = violations
      if let detail = packed(badRequest) { status.details.append(detail) }
    }
    var info = CommonErrorInfo()
    info.reason = reason
    info.domain = domain
    info.metadata = metadata
    if let detail = packed(info) { status.details.append(detail) }
    var trailers = Metadata()
    if let bytes = try? status.serializedBytes() {
      try? trailers.add(Metadata.statusDetailsKey, bytes: bytes)
    }
    return RPCError(code: code, message: message, metadata: trailers)
  }

  private static func packed<Message: ProtobufMessage>(_ message: Message) -> CommonStatusDetail? {
    guard let bytes = try? message.serializedBytes() else { return nil }
    var detail = CommonStatusDetail()
    detail.typeUrl = "type.googleapis.com/" + Message.protoMessageName
    detail.value = Data(bytes)
    return detail
  }
}

extension RPCError {
  /// The status for a database failure: UNAVAILABLE when the database cannot be reached or the
  /// transaction lost a race (the caller may retry), INTERNAL otherwise. No SQL or values leak.
  public static func fromDatabase(_ error: PostgresError, domain: String) -> RPCError {
    let retryable: Set<PostgresError.Kind> = [
      .connectionFailed, .connectionLost, .connectionClosed, .poolClosed, .poolTimedOut,
    ]
    if retryable.contains(error.kind) || error.isTransient || error.code == .adminShutdown
      || error.code == .cannotConnectNow
    {
      return RPCError.detailed(
        .unavailable, "the database is unavailable; retry later", reason: "DATABASE_UNAVAILABLE",
        domain: domain)
    }
    return RPCError.detailed(
      .internalError, "the service failed to handle the call", reason: "INTERNAL", domain: domain)
  }
}
