/// The field values of the benchmark messages, shared by both builders so that Wirebank and
/// swift-protobuf encode the same thing (checked before timing, see `Crosscheck.swift`).
enum Sample {
  // Row 1: wirebank.common.v1.Money
  static let moneyAmount: Int64 = 1_234_567_89
  static let moneyCurrency = "EUR"

  // Row 2: wirebank.lending.origination.v1.Application
  static let applicationID = "A-7F3A9C21"
  static let documentKind: Int32 = 1  // IDENTITY_DOCUMENT_KIND_PASSPORT
  static let documentCountry = "RU"
  static let documentSeries = "4510"
  static let documentNumber = "123456"
  static let firstName = "Ivan"
  static let lastName = "Petrov"
  static let middleName = ""  // none
  static let birthDate: (year: Int32, month: Int32, day: Int32) = (1988, 4, 12)
  static let email = "ivan@example.com"
  static let phone = "+79991234567"
  static let incomeMinor: Int64 = 18_500_000
  static let currency = "RUB"
  static let productCode = "CASH_LOAN"
  static let principalMinor: Int64 = 50_000_000
  static let termMonths: Int32 = 24
  static let status: Int32 = 4  // APPLICATION_STATUS_REJECTED
  static let decisionID = "D-0C41"
  static let outcome: Int32 = 2  // DECISION_OUTCOME_REJECTED
  static let reasonCodes: [Int32] = [6, 5]  // PAYMENT_TO_INCOME_TOO_HIGH, PAST_ARREARS
  /// (rule id, passed, reason code, explanation, inputs)
  static let rules: [(String, Bool, Int32, String, [String: String])] = [
    ("PTI_LIMIT", false, 6, "PTI > limit", ["pti_bp": "5210"]),
    ("ARREARS", false, 5, "", ["days": "61"]),
  ]
  static let paymentToIncomeBP: Int32 = 5210
  static let policyVersion = "v7"
  static let metadata = ["channel": "web", "partner": "acme"]
  static let createdAt: (seconds: Int64, nanos: Int32) = (1_714_557_600, 0)
  static let updatedAt: (seconds: Int64, nanos: Int32) = (1_714_557_661, 0)
  static let decidedAt: (seconds: Int64, nanos: Int32) = (1_714_557_660, 0)

  // Row 3: grpc.testing.Payload
  static let payloadType: Int32 = 0  // COMPRESSABLE
  static let payloadSize = 1 << 20
  /// 1 MiB of non-zero, non-repeating-looking bytes.
  static let payloadBody: [UInt8] = (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
}
