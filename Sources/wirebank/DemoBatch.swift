import Foundation
import WirebankContracts

/// The demo's applications: clients with varied incomes, products, amounts and terms, and
/// the cases the pipeline has to get right — rules that reject, retried and repeated
/// submissions, cancellations and a returning client who already holds three loans.
struct DemoBatch {
  /// What the demo does with an application besides submitting it.
  enum Plan: Sendable, Equatable {
    /// Submitted once.
    case regular
    /// The call is retried with the same idempotency key (a lost response).
    case retriedWithSameKey
    /// The same application again with a new key while the first is in flight (a double click).
    case submittedTwice
    /// Cancelled by the client right after submission.
    case cancelledByClient
    /// The client's fourth loan, submitted once their first three have agreements.
    case returningClient
  }

  /// One application of the batch.
  struct Application: Sendable {
    /// Its row in the summary table (1-based).
    var number: Int
    var applicant: LendingApplicant
    var terms: LendingLoanTerms
    var plan: Plan
    /// What the batch means to show with it, for the table's last column.
    var intent: String
    var idempotencyKey = UUID().uuidString.lowercased()

    var name: String { "\(applicant.firstName) \(applicant.lastName)" }

    var request: OriginationSubmitApplicationRequest {
      var request = OriginationSubmitApplicationRequest()
      request.idempotencyKey = idempotencyKey
      request.applicant = applicant
      request.terms = terms
      request.metadata = ["channel": number % 3 == 0 ? "branch" : "mobile", "source": "demo"]
      return request
    }
  }

  /// The applications submitted at once, in submission order.
  var firstWave: [Application] = []
  /// Applications submitted once the first wave's agreements they depend on exist.
  var secondWave: [Application] = []

  var all: [Application] { (firstWave + secondWave).sorted { $0.number < $1.number } }

  /// The batch for `seed`: the same seed gives the same clients, amounts and terms.
  init(seed: UInt64, today: Date = Date()) {
    var random = SplitMix64(seed: seed)
    let year = Int32(Calendar(identifier: .gregorian).component(.year, from: today))
    var builder = Builder(year: year)
    var applications: [Application] = []

    // Clients who qualify, on either product.
    for index in 0..<32 {
      let cash = index % 4 != 3
      let principal: Int64 =
        cash
        ? Int64(random.next(in: 5...150)) * 1_000_000  // 50,000–1,500,000 RUB
        : Int64(random.next(in: 10...250)) * 100_000  // 10,000–250,000 RUB
      let terms: [Int32] = cash ? [6, 12, 18, 24, 36, 48, 60] : [3, 6, 10, 12]
      let months = terms[random.next(in: 0...(terms.count - 1))]
      let person = builder.person(random: &random, payment: Self.payment(principal, months, cash))
      applications.append(
        builder.application(
          person, product: cash ? "CASH_LOAN" : "POS_INSTALLMENT", principal, months, .regular,
          cash ? "" : "0% instalments"))
    }
    // Duplicates: three lost responses retried with the same key, two double clicks.
    for index in [1, 6, 11] { applications[index].plan = .retriedWithSameKey }
    for index in [3, 14] { applications[index].plan = .submittedTwice }
    // Clients who change their mind.
    for index in [8, 17, 22, 29] { applications[index].plan = .cancelledByClient }

    // Rules that reject.
    let young = builder.person(random: &random, payment: 20_000_00, age: 19)
    applications.append(builder.application(young, 25_000_000, 12, "age 19"))
    let old = builder.person(random: &random, payment: 20_000_00, age: 74)
    applications.append(builder.application(old, 40_000_000, 24, "age 74"))
    var stretched = builder.person(random: &random, payment: 0)
    stretched.monthlyIncome = Self.rub(4_500_000)
    applications.append(builder.application(stretched, 150_000_000, 24, "income 45,000 RUB"))
    var dollars = builder.person(random: &random, payment: 30_000_00)
    dollars.monthlyIncome = Self.money(350_000, "USD")
    applications.append(builder.application(dollars, 50_000_000, 24, "income in USD"))
    var undeclared = builder.person(random: &random, payment: 0)
    undeclared.monthlyIncome = nil
    applications.append(builder.application(undeclared, 20_000_000, 12, "no income declared"))
    let large = builder.person(random: &random, payment: 400_000_00)
    applications.append(builder.application(large, 750_000_000, 60, "above 5,000,000 RUB"))
    let long = builder.person(random: &random, payment: 30_000_00)
    applications.append(builder.application(long, 90_000_000, 84, "84 months"))
    let legacy = builder.person(random: &random, payment: 30_000_00)
    applications.append(
      builder.application(
        legacy, product: "CASH_LOAN_2019", 30_000_000, 24, .regular, "product closed"))

    // A returning client: three loans now, a fourth once those are signed.
    var returning = builder.person(random: &random, payment: 0)
    returning.monthlyIncome = Self.rub(60_000_000)
    let loans: [(Int64, Int32)] = [(40_000_000, 24), (25_000_000, 12), (60_000_000, 36)]
    for (index, (principal, months)) in loans.enumerated() {
      applications.append(
        builder.application(returning, principal, months, "returning client, loan \(index + 1)"))
    }
    let fourth = builder.application(
      returning, product: "CASH_LOAN", 30_000_000, 24, .returningClient,
      "returning client, a 4th open loan")

    // Spread the special cases through the wave, the same way for the same seed.
    for index in applications.indices.reversed() {
      applications.swapAt(index, random.next(in: 0...index))
    }
    for index in applications.indices { applications[index].number = index + 1 }
    var last = fourth
    last.number = applications.count + 1
    firstWave = applications
    secondWave = [last]
  }

  /// The first-wave applications the returning client's fourth loan waits for.
  var returningClientLoans: [Application] {
    guard let fourth = secondWave.first else { return [] }
    return firstWave.filter {
      $0.applicant.identityDocument?.number == fourth.applicant.identityDocument?.number
    }
  }

  /// A rough monthly annuity payment in minor units, to give each client a fitting income.
  static func payment(_ principal: Int64, _ months: Int32, _ cash: Bool) -> Int64 {
    let rate = cash ? 0.189 / 12 : 0
    guard rate > 0 else { return principal / Int64(months) }
    let growth = pow(1 + rate, Double(months))
    return Int64(Double(principal) * rate * growth / (growth - 1))
  }

  static func money(_ minor: Int64, _ currency: String) -> CommonMoney {
    var money = CommonMoney()
    money.amountMinor = minor
    money.currency = currency
    return money
  }

  static func rub(_ minor: Int64) -> CommonMoney { money(minor, "RUB") }
}

/// Makes applicants with distinct documents and names from the demo's name lists.
private struct Builder {
  let year: Int32
  var nextDocument = 100_001
  var nextName = 0
  var numberSequence = 0

  static let people: [(first: String, last: String, middle: String)] = [
    ("Anna", "Ivanova", "Sergeevna"), ("Dmitry", "Petrov", "Alexandrovich"),
    ("Elena", "Smirnova", "Viktorovna"), ("Sergey", "Kuznetsov", "Igorevich"),
    ("Olga", "Popova", "Nikolaevna"), ("Alexey", "Vasiliev", "Pavlovich"),
    ("Maria", "Sokolova", "Andreevna"), ("Ivan", "Mikhailov", "Olegovich"),
    ("Natalia", "Novikova", "Dmitrievna"), ("Pavel", "Fedorov", "Yurievich"),
    ("Tatiana", "Morozova", "Ivanovna"), ("Andrey", "Volkov", "Sergeevich"),
    ("Irina", "Alekseeva", "Petrovna"), ("Nikolai", "Lebedev", "Mikhailovich"),
    ("Svetlana", "Semenova", "Borisovna"), ("Mikhail", "Egorov", "Vladimirovich"),
    ("Ekaterina", "Pavlova", "Romanovna"), ("Artem", "Kozlov", "Denisovich"),
    ("Yulia", "Stepanova", "Arturovna"), ("Roman", "Nikolaev", "Evgenievich"),
    ("Daria", "Orlova", "Konstantinovna"), ("Vladimir", "Andreev", "Grigorievich"),
    ("Ksenia", "Makarova", "Leonidovna"), ("Egor", "Zakharov", "Maksimovich"),
    ("Polina", "Zaitseva", "Antonovna"), ("Kirill", "Solovyov", "Stanislavovich"),
    ("Vera", "Borisova", "Fedorovna"), ("Timur", "Yakovlev", "Ruslanovich"),
    ("Alina", "Grigorieva", "Eduardovna"), ("Oleg", "Romanov", "Valerievich"),
    ("Galina", "Vorobyova", "Stepanovna"), ("Boris", "Sergeev", "Arkadievich"),
    ("Lyudmila", "Kuzmina", "Gennadievna"), ("Denis", "Frolov", "Vitalievich"),
    ("Marina", "Belova", "Yakovlevna"), ("Yuri", "Medvedev", "Anatolievich"),
  ]

  init(year: Int32) { self.year = year }

  /// A new applicant earning about three times `payment` (at least 60,000 RUB a month).
  mutating func person(
    random: inout SplitMix64, payment: Int64, age: Int32? = nil
  ) -> LendingApplicant {
    let name = Self.people[nextName % Self.people.count]
    nextName += 1
    var document = LendingIdentityDocument()
    document.kind = .passport
    document.issuingCountry = "RU"
    document.series = String(4500 + random.next(in: 0...99))
    document.number = String(nextDocument)
    nextDocument += 1
    var applicant = LendingApplicant()
    applicant.identityDocument = document
    applicant.firstName = name.first
    applicant.lastName = name.last
    applicant.middleName = name.middle
    var birth = CommonDate()
    if let age {
      // Born on 1 January: `age` on every day of this year.
      birth.year = year - age
      birth.month = 1
      birth.day = 1
    } else {
      birth.year = year - Int32(random.next(in: 23...62))
      birth.month = Int32(random.next(in: 1...12))
      birth.day = Int32(random.next(in: 1...28))
    }
    applicant.birthDate = birth
    applicant.email = "\(name.first).\(name.last)@example.ru".lowercased()
    applicant.phone = "+7916" + String(1_000_000 + random.next(in: 0...8_999_999))
    let income = max(6_000_000, (payment * 3 / 100_000 + 1) * 100_000)
    applicant.monthlyIncome = DemoBatch.rub(income)
    return applicant
  }

  func application(
    _ applicant: LendingApplicant, _ principal: Int64, _ months: Int32, _ intent: String
  ) -> DemoBatch.Application {
    application(applicant, product: "CASH_LOAN", principal, months, .regular, intent)
  }

  func application(
    _ applicant: LendingApplicant, product: String, _ principal: Int64, _ months: Int32,
    _ plan: DemoBatch.Plan, _ intent: String
  ) -> DemoBatch.Application {
    var terms = LendingLoanTerms()
    terms.productCode = product
    terms.principal = DemoBatch.rub(principal)
    terms.termMonths = months
    return DemoBatch.Application(
      number: 0, applicant: applicant, terms: terms, plan: plan, intent: intent)
  }
}

/// A small seeded generator (SplitMix64), so that a seed always gives the same batch.
struct SplitMix64: RandomNumberGenerator {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func next(in range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
}
