import Foundation
import SwiftProtobuf

// swift-protobuf's values for the rows: the generated types of this module
// (SwiftProtobufGenerated/), same field values as `WirebankSamples`.

enum SwiftProtobufSamples {
  static func money(_ amount: Int64, _ currency: String) -> CommonMoney {
    var money = CommonMoney()
    money.amountMinor = amount
    money.currency = currency
    return money
  }

  static func timestamp(_ value: (seconds: Int64, nanos: Int32))
    -> SwiftProtobuf.Google_Protobuf_Timestamp
  {
    SwiftProtobuf.Google_Protobuf_Timestamp(seconds: value.seconds, nanos: value.nanos)
  }

  static var small: CommonMoney { money(Sample.moneyAmount, Sample.moneyCurrency) }

  static var realistic: OriginationApplication {
    var document = LendingIdentityDocument()
    document.kind = LendingIdentityDocumentKind(rawValue: Int(Sample.documentKind))!
    document.issuingCountry = Sample.documentCountry
    document.series = Sample.documentSeries
    document.number = Sample.documentNumber

    var birthDate = CommonDate()
    birthDate.year = Sample.birthDate.year
    birthDate.month = Sample.birthDate.month
    birthDate.day = Sample.birthDate.day

    var applicant = LendingApplicant()
    applicant.identityDocument = document
    applicant.firstName = Sample.firstName
    applicant.lastName = Sample.lastName
    applicant.middleName = Sample.middleName
    applicant.birthDate = birthDate
    applicant.email = Sample.email
    applicant.phone = Sample.phone
    applicant.monthlyIncome = money(Sample.incomeMinor, Sample.currency)

    var terms = LendingLoanTerms()
    terms.productCode = Sample.productCode
    terms.principal = money(Sample.principalMinor, Sample.currency)
    terms.termMonths = Sample.termMonths

    var decision = ScoringDecision()
    decision.decisionID = Sample.decisionID
    decision.applicationID = Sample.applicationID
    decision.outcome = ScoringDecisionOutcome(rawValue: Int(Sample.outcome))!
    decision.reasonCodes = Sample.reasonCodes.map { ScoringReasonCode(rawValue: Int($0))! }
    decision.rules = Sample.rules.map { rule in
      var result = ScoringDecision.RuleResult()
      result.ruleID = rule.0
      result.passed = rule.1
      result.reasonCode = ScoringReasonCode(rawValue: Int(rule.2))!
      result.explanation = rule.3
      result.inputs = rule.4
      return result
    }
    decision.paymentToIncomeBp = Sample.paymentToIncomeBP
    decision.policyVersion = Sample.policyVersion
    decision.decidedAt = timestamp(Sample.decidedAt)

    var application = OriginationApplication()
    application.applicationID = Sample.applicationID
    application.applicant = applicant
    application.terms = terms
    application.status = OriginationApplicationStatus(rawValue: Int(Sample.status))!
    application.decision = decision
    application.metadata = Sample.metadata
    application.createdAt = timestamp(Sample.createdAt)
    application.updatedAt = timestamp(Sample.updatedAt)
    return application
  }

  static var payload: Grpc_Testing_Payload {
    var payload = Grpc_Testing_Payload()
    payload.type = Grpc_Testing_PayloadType(rawValue: Int(Sample.payloadType))!
    payload.body = Data(Sample.payloadBody)
    return payload
  }
}
