import FoundationEssentials
import WirebankContracts

// Wirebank's values for the rows. Both WirebankContracts and this module (the swift-protobuf copy,
// `internal`) declare `OriginationApplication` & co.; inside this module the unqualified names
// mean the swift-protobuf copies, so Wirebank's are always written `WirebankContracts.…`.

enum WirebankSamples {
  static func money(_ amount: Int64, _ currency: String) -> WirebankContracts.CommonMoney {
    var money = WirebankContracts.CommonMoney()
    money.amountMinor = amount
    money.currency = currency
    return money
  }

  static func timestamp(_ value: (seconds: Int64, nanos: Int32))
    -> WirebankContracts.Google_Protobuf_Timestamp
  {
    var timestamp = WirebankContracts.Google_Protobuf_Timestamp()
    timestamp.seconds = value.seconds
    timestamp.nanos = value.nanos
    return timestamp
  }

  static var small: WirebankContracts.CommonMoney { money(Sample.moneyAmount, Sample.moneyCurrency) }

  static var realistic: WirebankContracts.OriginationApplication {
    var document = WirebankContracts.LendingIdentityDocument()
    document.kind = WirebankContracts.LendingIdentityDocumentKind(protoValue: Sample.documentKind)
    document.issuingCountry = Sample.documentCountry
    document.series = Sample.documentSeries
    document.number = Sample.documentNumber

    var birthDate = WirebankContracts.CommonDate()
    birthDate.year = Sample.birthDate.year
    birthDate.month = Sample.birthDate.month
    birthDate.day = Sample.birthDate.day

    var applicant = WirebankContracts.LendingApplicant()
    applicant.identityDocument = document
    applicant.firstName = Sample.firstName
    applicant.lastName = Sample.lastName
    applicant.middleName = Sample.middleName
    applicant.birthDate = birthDate
    applicant.email = Sample.email
    applicant.phone = Sample.phone
    applicant.monthlyIncome = money(Sample.incomeMinor, Sample.currency)

    var terms = WirebankContracts.LendingLoanTerms()
    terms.productCode = Sample.productCode
    terms.principal = money(Sample.principalMinor, Sample.currency)
    terms.termMonths = Sample.termMonths

    var decision = WirebankContracts.ScoringDecision()
    decision.decisionId = Sample.decisionID
    decision.applicationId = Sample.applicationID
    decision.outcome = WirebankContracts.ScoringDecisionOutcome(protoValue: Sample.outcome)
    decision.reasonCodes = Sample.reasonCodes.map {
      WirebankContracts.ScoringReasonCode(protoValue: $0)
    }
    decision.rules = Sample.rules.map { rule in
      var result = WirebankContracts.ScoringDecision.RuleResult()
      result.ruleId = rule.0
      result.passed = rule.1
      result.reasonCode = WirebankContracts.ScoringReasonCode(protoValue: rule.2)
      result.explanation = rule.3
      result.inputs = rule.4
      return result
    }
    decision.paymentToIncomeBp = Sample.paymentToIncomeBP
    decision.policyVersion = Sample.policyVersion
    decision.decidedAt = timestamp(Sample.decidedAt)

    var application = WirebankContracts.OriginationApplication()
    application.applicationId = Sample.applicationID
    application.applicant = applicant
    application.terms = terms
    application.status = WirebankContracts.OriginationApplicationStatus(protoValue: Sample.status)
    application.decision = decision
    application.metadata = Sample.metadata
    application.createdAt = timestamp(Sample.createdAt)
    application.updatedAt = timestamp(Sample.updatedAt)
    return application
  }

  static var payload: WirebankContracts.Grpc_Testing_Payload {
    var payload = WirebankContracts.Grpc_Testing_Payload()
    payload.type = WirebankContracts.Grpc_Testing_PayloadType(protoValue: Sample.payloadType)
    payload.body = Data(Sample.payloadBody)
    return payload
  }
}
