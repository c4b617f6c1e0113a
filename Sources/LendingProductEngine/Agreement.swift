import Foundation
import WirebankContracts

/// Where a credit agreement is in its life (seed 001): CREATED → PAYMENT_PENDING → ACTIVE →
/// CLOSED, or CANCELLED before the payout.
enum AgreementStatus: String, Sendable, Hashable, CaseIterable {
  case created = "CREATED"
  case paymentPending = "PAYMENT_PENDING"
  case active = "ACTIVE"
  case closed = "CLOSED"
  case cancelled = "CANCELLED"

  /// Statuses whose agreements count as open for Scoring.
  static let open: [AgreementStatus] = [.created, .paymentPending, .active]

  var isOpen: Bool { Self.open.contains(self) }

  /// Whether the principal has not been paid out yet, so the agreement can still be cancelled.
  var isCancellable: Bool { self == .created || self == .paymentPending }

  init?(_ proto: ProductEngineAgreementStatus) {
    switch proto {
    case .created: self = .created
    case .paymentPending: self = .paymentPending
    case .active: self = .active
    case .closed: self = .closed
    case .cancelled: self = .cancelled
    default: return nil
    }
  }

  var proto: ProductEngineAgreementStatus {
    switch self {
    case .created: return .created
    case .paymentPending: return .paymentPending
    case .active: return .active
    case .closed: return .closed
    case .cancelled: return .cancelled
    }
  }
}

/// An agreement as stored, with its standing computed for "today".
struct AgreementRecord: Sendable, Hashable {
  var id: UUID
  var seq: Int64
  var applicationID: String
  var clientID: UUID
  var productCode: String
  var currency: String
  var principalMinor: Int64
  var termMonths: Int
  var annualRateBasisPoints: Int
  var monthlyPaymentMinor: Int64
  var originationFeeMinor: Int64
  var status: AgreementStatus
  var disbursementID: String?
  var createdAt: Date
  var disbursedAt: Date?
  var endedAt: Date?
  /// Principal not yet repaid.
  var outstandingPrincipalMinor: Int64
  /// Amount past due today.
  var arrearsMinor: Int64
  /// Days since the oldest unpaid due date.
  var daysPastDue: Int

  var proto: ProductEngineAgreement {
    var agreement = ProductEngineAgreement()
    agreement.agreementId = id.uuidString.lowercased()
    agreement.applicationId = applicationID
    agreement.clientId = clientID.uuidString.lowercased()
    var terms = LendingLoanTerms()
    terms.productCode = productCode
    terms.principal = CommonMoney(principalMinor, currency)
    terms.termMonths = Int32(termMonths)
    agreement.terms = terms
    agreement.annualRateBp = Int32(annualRateBasisPoints)
    agreement.monthlyPayment = CommonMoney(monthlyPaymentMinor, currency)
    agreement.status = status.proto
    agreement.outstandingPrincipal = CommonMoney(outstandingPrincipalMinor, currency)
    agreement.arrears = CommonMoney(arrearsMinor, currency)
    agreement.daysPastDue = Int32(clamping: daysPastDue)
    agreement.createdAt = Google_Protobuf_Timestamp(createdAt)
    agreement.disbursedAt = disbursedAt.map(Google_Protobuf_Timestamp.init)
    agreement.endedAt = endedAt.map(Google_Protobuf_Timestamp.init)
    return agreement
  }
}

/// One stored schedule entry.
struct ScheduleEntryRecord: Sendable, Hashable {
  var periodNumber: Int
  var dueDate: CivilDate
  var principalMinor: Int64
  var interestMinor: Int64
  var totalMinor: Int64
  var remainingPrincipalMinor: Int64
  var paidMinor: Int64

  /// The entry's state on `today`; only an agreement paid out (`accruing`) can be overdue.
  func status(today: CivilDate, accruing: Bool) -> ProductEngineScheduleEntryStatus {
    if paidMinor >= totalMinor { return .paid }
    if accruing && dueDate < today { return .overdue }
    return paidMinor > 0 ? .partiallyPaid : .planned
  }

  func proto(currency: String, today: CivilDate, accruing: Bool) -> ProductEngineScheduleEntry {
    var entry = ProductEngineScheduleEntry()
    entry.periodNumber = Int32(periodNumber)
    entry.dueDate = dueDate.proto
    entry.principal = CommonMoney(principalMinor, currency)
    entry.interest = CommonMoney(interestMinor, currency)
    entry.total = CommonMoney(totalMinor, currency)
    entry.remainingPrincipal = CommonMoney(remainingPrincipalMinor, currency)
    entry.status = status(today: today, accruing: accruing)
    entry.paid = CommonMoney(paidMinor, currency)
    return entry
  }
}
