import WirebankServiceSupport
import WirebankContracts

import Foundation

extension Google_Protobuf_Timestamp {
  /// The instant `date`, to the microsecond (PostgreSQL's precision).
  init(_ date: Date) {
    self.init()
    let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
    let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
    self.seconds = seconds
    self.nanos = Int32((micros - seconds * 1_000_000) * 1000)
  }

  /// The instant as a `Date`.
  var date: Date {
    Date(timeIntervalSince1970: Double(seconds) + Double(nanos) / 1_000_000_000)
  }
}

extension CommonMoney {
  /// `amountMinor` minor units of `currency`.
  init(_ amountMinor: Int64, _ currency: String) {
    self.init()
    self.amountMinor = amountMinor
    self.currency = currency
  }
}

extension CivilDate {
  /// The date of a contract `Date`, or nil when it names none.
  init?(_ date: CommonDate) {
    self.init(year: Int(date.year), month: Int(date.month), day: Int(date.day))
  }

  /// The contract form.
  var proto: CommonDate {
    var date = CommonDate()
    date.year = Int32(year)
    date.month = Int32(month)
    date.day = Int32(day)
    return date
  }
}

/// An identity document as clients are keyed by: every part trimmed and upper-cased.
struct DocumentKey: Sendable, Hashable {
  var kind: Int32
  var country: String
  var series: String
  var number: String

  init(_ document: LendingIdentityDocument) {
    kind = document.kind.rawValue
    country = normalizedDocumentPart(document.issuingCountry)
    series = normalizedDocumentPart(document.series)
    number = normalizedDocumentPart(document.number)
  }

  init(kind: Int32, country: String, series: String, number: String) {
    self.kind = kind
    self.country = country
    self.series = series
    self.number = number
  }

  var proto: LendingIdentityDocument {
    var document = LendingIdentityDocument()
    document.kind = LendingIdentityDocumentKind(protoValue: kind)
    document.issuingCountry = country
    document.series = series
    document.number = number
    return document
  }
}
