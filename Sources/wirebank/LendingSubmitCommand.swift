import ArgumentParser
import Foundation
import WirebankContracts

/// `wirebank lending submit`: one loan application.
struct LendingSubmitCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "submit", abstract: "Submit a loan application.",
    discussion: """
      Example: wirebank lending submit --document RU:4510:123456 --first-name Anna \
      --last-name Ivanova --birth-date 1988-04-12 --phone +79991234567 --income 150000 \
      --principal 300000 --months 24
      Amounts are in major units (300000 or 300000.50); the request goes out as given, so \
      Origination's own validation answers malformed input, field by field.
      """)

  @OptionGroup var endpoints: LendingEndpointOptions

  @Option(
    help: ArgumentHelp(
      "The identity document as COUNTRY:SERIES:NUMBER (a passport; SERIES may be empty).",
      valueName: "doc"))
  var document: String

  @Option var firstName: String
  @Option var lastName: String
  @Option var middleName = ""

  @Option(help: ArgumentHelp("YYYY-MM-DD.", valueName: "date"))
  var birthDate: String

  @Option(help: "In E.164 form, as in +79991234567.")
  var phone: String

  @Option var email = ""

  @Option(help: ArgumentHelp("Declared net monthly income, in major units.", valueName: "amount"))
  var income: String?

  @Option(help: "The income's currency.")
  var incomeCurrency = "RUB"

  @Option(help: "The product code, as in CASH_LOAN or POS_INSTALLMENT.")
  var product = "CASH_LOAN"

  @Option(help: ArgumentHelp("The amount to borrow, in major units.", valueName: "amount"))
  var principal: String

  @Option(help: "The loan's currency.")
  var currency = "RUB"

  @Option(help: "The term in months.")
  var months: Int32

  @Option(help: "Replays with the same key return the stored answer (default: a new UUID).")
  var idempotencyKey: String?

  @Option(
    name: .customLong("metadata"), parsing: .singleValue,
    help: ArgumentHelp("Submission context as key=value (repeatable).", valueName: "key=value"))
  var metadata: [String] = []

  func validate() throws {
    guard document.split(separator: ":", omittingEmptySubsequences: false).count == 3 else {
      throw ValidationError("--document is COUNTRY:SERIES:NUMBER, as in RU:4510:123456")
    }
    guard LendingText.minorUnits(parsing: principal) != nil else {
      throw ValidationError("--principal is an amount such as 300000 or 300000.50")
    }
    if let income, LendingText.minorUnits(parsing: income) == nil {
      throw ValidationError("--income is an amount such as 150000 or 150000.50")
    }
    guard Self.date(birthDate) != nil else {
      throw ValidationError("--birth-date is YYYY-MM-DD")
    }
    for entry in metadata where !entry.contains("=") {
      throw ValidationError("--metadata is key=value, not \(entry)")
    }
  }

  func run() async throws {
    let request = self.request
    try await endpoints.withClients { origination, engine in
      let response = try await origination.submitApplication(request, options: lendingCallOptions)
      Console.line(
        response.deduplicated
          ? "an existing application was returned (deduplicated)" : "application submitted")
      if let application = response.application {
        for line in ApplicationText.lines(application) { Console.line(line) }
      }
    }
  }

  var request: OriginationSubmitApplicationRequest {
    let parts = document.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    var identity = LendingIdentityDocument()
    identity.kind = .passport
    identity.issuingCountry = parts[0]
    identity.series = parts[1]
    identity.number = parts[2]
    var applicant = LendingApplicant()
    applicant.identityDocument = identity
    applicant.firstName = firstName
    applicant.lastName = lastName
    applicant.middleName = middleName
    if let date = Self.date(birthDate) {
      var birth = CommonDate()
      (birth.year, birth.month, birth.day) = date
      applicant.birthDate = birth
    }
    applicant.phone = phone
    applicant.email = email
    if let income, let minor = LendingText.minorUnits(parsing: income) {
      var money = CommonMoney()
      money.amountMinor = minor
      money.currency = incomeCurrency
      applicant.monthlyIncome = money
    }
    var terms = LendingLoanTerms()
    terms.productCode = product
    var amount = CommonMoney()
    amount.amountMinor = LendingText.minorUnits(parsing: principal) ?? 0
    amount.currency = currency
    terms.principal = amount
    terms.termMonths = months
    var request = OriginationSubmitApplicationRequest()
    request.idempotencyKey = idempotencyKey ?? UUID().uuidString.lowercased()
    request.applicant = applicant
    request.terms = terms
    for entry in metadata {
      let pair = entry.split(separator: "=", maxSplits: 1).map(String.init)
      request.metadata[pair[0]] = pair.count > 1 ? pair[1] : ""
    }
    return request
  }

  static func date(_ text: String) -> (Int32, Int32, Int32)? {
    let parts = text.split(separator: "-").compactMap { Int32($0) }
    guard parts.count == 3 else { return nil }
    return (parts[0], parts[1], parts[2])
  }
}
