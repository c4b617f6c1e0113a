/// A gRPC status code: the outcome of a call, as listed in grpc/grpc `doc/statuscodes.md`.
///
/// A struct rather than an enum so that a value read from the wire that no code names can still
/// be represented; `init(rawValue:)` accepts only the 17 known codes, and transports map any
/// other number to `.unknown`.
public struct StatusCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
  /// The code's number on the wire (`grpc-status`).
  public let rawValue: Int

  /// The code with number `rawValue`, or nil when gRPC defines no such code.
  public init?(rawValue: Int) {
    guard StatusCode.canonicalNames.indices.contains(rawValue) else { return nil }
    self.rawValue = rawValue
  }

  private init(_ rawValue: Int) {
    self.rawValue = rawValue
  }

  /// Not an error; returned on success.
  public static let ok = StatusCode(0)
  /// The operation was cancelled, typically by the caller.
  public static let cancelled = StatusCode(1)
  /// An error that no other code describes, including errors a handler threw that were not RPC
  /// errors.
  public static let unknown = StatusCode(2)
  /// The client specified an argument that is invalid whatever the state of the system.
  public static let invalidArgument = StatusCode(3)
  /// The deadline expired before the operation could complete.
  public static let deadlineExceeded = StatusCode(4)
  /// Some requested entity was not found.
  public static let notFound = StatusCode(5)
  /// The entity that a client attempted to create already exists.
  public static let alreadyExists = StatusCode(6)
  /// The caller does not have permission to execute the operation.
  public static let permissionDenied = StatusCode(7)
  /// Some resource has been exhausted: a quota, or a message larger than allowed.
  public static let resourceExhausted = StatusCode(8)
  /// The system is not in a state required for the operation's execution.
  public static let failedPrecondition = StatusCode(9)
  /// The operation was aborted, typically because of a concurrency conflict.
  public static let aborted = StatusCode(10)
  /// The operation was attempted past the valid range.
  public static let outOfRange = StatusCode(11)
  /// The operation is not implemented, or the call broke the method's cardinality rules.
  public static let unimplemented = StatusCode(12)
  /// An invariant of the underlying system is broken, such as a message that does not decode.
  public static let internalError = StatusCode(13)
  /// The service is currently unavailable; the call may be retried.
  public static let unavailable = StatusCode(14)
  /// Unrecoverable data loss or corruption.
  public static let dataLoss = StatusCode(15)
  /// The request does not have valid authentication credentials.
  public static let unauthenticated = StatusCode(16)

  /// All 17 codes, in numeric order.
  public static let allCases: [StatusCode] = canonicalNames.indices.map(StatusCode.init)

  private static let canonicalNames = [
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
  ]

  /// The canonical name, as in `INVALID_ARGUMENT`.
  public var description: String {
    StatusCode.canonicalNames.indices.contains(rawValue)
      ? StatusCode.canonicalNames[rawValue] : "STATUS_\(rawValue)"
  }
}
