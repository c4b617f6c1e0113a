import WirebankContracts

/// Where an application is: NEW → SCORING → ACCEPTED → AGREEMENT_CREATED, or REJECTED, or
/// CANCELLED before an agreement exists. Stored as the contract's names without the prefix.
enum ApplicationStatus: String, Sendable, Hashable, CaseIterable {
  case new = "NEW"
  case scoring = "SCORING"
  case accepted = "ACCEPTED"
  case rejected = "REJECTED"
  case cancelled = "CANCELLED"
  case agreementCreated = "AGREEMENT_CREATED"

  /// Statuses of applications still in flight: an identical submission is deduplicated to them.
  static let inFlight: [ApplicationStatus] = [.new, .scoring, .accepted]

  /// Whether the client can still cancel (no agreement yet, no rejection).
  var isCancellable: Bool { Self.inFlight.contains(self) }

  /// Statuses in which Scoring's decision still decides the status.
  static let awaitingDecision: [ApplicationStatus] = [.new, .scoring]

  init?(_ proto: OriginationApplicationStatus) {
    switch proto {
    case .new: self = .new
    case .scoring: self = .scoring
    case .accepted: self = .accepted
    case .rejected: self = .rejected
    case .cancelled: self = .cancelled
    case .agreementCreated: self = .agreementCreated
    default: return nil
    }
  }

  var proto: OriginationApplicationStatus {
    switch self {
    case .new: return .new
    case .scoring: return .scoring
    case .accepted: return .accepted
    case .rejected: return .rejected
    case .cancelled: return .cancelled
    case .agreementCreated: return .agreementCreated
    }
  }
}
