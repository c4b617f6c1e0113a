import WirebankContracts
import WirebankRPC

/// An `RPCError` for people: the status, the message, and the details Wirebank services put in
/// `grpc-status-details-bin` (the reason, and every invalid field).
enum RPCErrorText {
  static func lines(_ error: RPCError) -> [String] {
    var lines = ["error: \(error.code) — \(error.message)"]
    guard let bytes = error.metadata[binary: Metadata.statusDetailsKey],
      let status = try? CommonStatus(serializedBytes: bytes)
    else { return lines }
    for detail in status.details {
      switch detail.typeUrl {
      case "type.googleapis.com/wirebank.common.v1.BadRequest":
        guard let request = try? CommonBadRequest(serializedBytes: Array(detail.value)) else {
          continue
        }
        for violation in request.fieldViolations {
          lines.append("  \(violation.field): \(violation.descriptionText)")
        }
      case "type.googleapis.com/wirebank.common.v1.ErrorInfo":
        guard let info = try? CommonErrorInfo(serializedBytes: Array(detail.value)) else {
          continue
        }
        let context = info.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        lines.append(
          "  reason \(info.reason) (\(info.domain))"
            + (context.isEmpty ? "" : ": " + context.joined(separator: ", ")))
      default:
        continue
      }
    }
    return lines
  }
}
