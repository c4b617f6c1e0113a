import Foundation
import WirebankContracts

/// Requests and values the lending tests share.
enum Fixtures {
  static func document(_ number: String, series: String = "4510") -> LendingIdentityDocument {
    var document = LendingIdentityDocument()
    document.kind = .passport
    document.issuingCountry = "RU"
    document.series = series
    document.number = number
    return document
  }

  static func money(_ amountMinor: Int64, _ currency: String = "RUB") -> CommonMoney {
    var money = CommonMoney()
    money.amountMinor = amountMinor
    money.currency = currency
    return money
  }

  static func applicant(
    _ number: String, income: Int64? = 15_000_000, born: (Int32, Int32, Int32) = (1988, 4, 12)
  ) -> LendingApplicant {
    var applicant = LendingApplicant()
    applicant.identityDocument = document(number)
    applicant.firstName = "Anna"
    applicant.lastName = "Ivanova"
    applicant.middleName = "Sergeevna"
    var birthDate = CommonDate()
    birthDate.year = born.0
    birthDate.month = born.1
    birthDate.day = born.2
    applicant.birthDate = birthDate
    applicant.email = "anna.ivanova@example.org"
    applicant.phone = "+79991234567"
    applicant.monthlyIncome = income.map { money($0) }
    return applicant
  }

  static func terms(
    _ principalMinor: Int64 = 30_000_000, months: Int32 = 24, product: String = "CASH_LOAN"
  ) -> LendingLoanTerms {
    var terms = LendingLoanTerms()
    terms.productCode = product
    terms.principal = money(principalMinor)
    terms.termMonths = months
    return terms
  }

  static func createAgreement(
    _ applicationID: String, document number: String = "123456",
    terms: LendingLoanTerms = Fixtures.terms()
  ) -> ProductEngineCreateAgreementRequest {
    var request = ProductEngineCreateAgreementRequest()
    request.applicationId = applicationID
    request.applicant = applicant(number)
    request.terms = terms
    return request
  }
}
