import Foundation
import WirebankContracts
import WirebankProtobuf

/// How the Lending commands show values to people: money with thousands separators, dates,
/// enum names without their prefixes, and plain-text tables.
enum LendingText {
  /// `1234567` RUB minor units → `12,345.67 RUB` (two minor digits, as RUB, EUR and USD have).
  static func money(_ money: CommonMoney?, currency: Bool = true) -> String {
    guard let money else { return "—" }
    let negative = money.amountMinor < 0
    let magnitude = money.amountMinor.magnitude
    var whole = String(magnitude / 100)
    var grouped = ""
    while whole.count > 3 {
      grouped = "," + whole.suffix(3) + grouped
      whole = String(whole.dropLast(3))
    }
    let cents = magnitude % 100
    let text =
      (negative ? "-" : "") + whole + grouped + "." + (cents < 10 ? "0" : "") + String(cents)
    return currency ? text + " " + money.currency : text
  }

  /// An amount typed by a person (`300000`, `300000.50`, `300,000.5`) in minor units.
  static func minorUnits(parsing text: String) -> Int64? {
    let digits = text.replacingOccurrences(of: ",", with: "").replacingOccurrences(
      of: "_", with: "")
    let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count <= 2, let whole = Int64(parts[0]), whole >= 0 else { return nil }
    var fraction: Int64 = 0
    if parts.count == 2 {
      guard (1...2).contains(parts[1].count), let value = Int64(parts[1]) else { return nil }
      fraction = parts[1].count == 1 ? value * 10 : value
    }
    let (scaled, overflow) = whole.multipliedReportingOverflow(by: 100)
    return overflow ? nil : scaled + fraction
  }

  /// `2025-07-14`.
  static func date(_ date: CommonDate?) -> String {
    guard let date else { return "—" }
    func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(date.year)-\(two(date.month))-\(two(date.day))"
  }

  /// A timestamp as `2025-07-14 09:30:12 UTC`.
  static func timestamp(_ timestamp: Google_Protobuf_Timestamp?) -> String {
    guard let timestamp else { return "—" }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    return formatter.string(from: instant(timestamp)) + " UTC"
  }

  /// The timestamp as a `Date`.
  static func instant(_ timestamp: Google_Protobuf_Timestamp) -> Date {
    Date(timeIntervalSince1970: Double(timestamp.seconds) + Double(timestamp.nanos) / 1e9)
  }

  /// An enum value's name without the type's prefix: `AGREEMENT_CREATED`, `AGE_OUT_OF_RANGE`.
  static func name(_ value: some ProtobufEnum, prefix: String) -> String {
    guard let name = value.protoName else { return "\(value.rawValue)" }
    return name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name
  }

  static func status(_ status: OriginationApplicationStatus) -> String {
    name(status, prefix: "APPLICATION_STATUS_")
  }

  static func reason(_ code: ScoringReasonCode) -> String { name(code, prefix: "REASON_CODE_") }

  static func agreementStatus(_ status: ProductEngineAgreementStatus) -> String {
    name(status, prefix: "AGREEMENT_STATUS_")
  }

  /// The first 8 characters of an id, enough to tell agreements apart on screen.
  static func shortID(_ id: String) -> String { id.isEmpty ? "—" : String(id.prefix(8)) }

  /// Milliseconds with one decimal below 10 ms: `3.4 ms`, `27 ms`.
  static func milliseconds(_ seconds: Double) -> String {
    let ms = seconds * 1000
    return ms < 10 ? String(format: "%.1f ms", ms) : "\(Int(ms.rounded())) ms"
  }

  /// The nearest-rank percentile `p` (0–100) of `values`, nil when there are none.
  static func percentile(_ p: Double, of values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
  }
}

/// A plain-text table: columns padded to their widest cell, numbers right-aligned.
struct TextTable {
  var headers: [String]
  var rightAligned: Set<Int> = []
  var rows: [[String]] = []

  mutating func add(_ row: [String]) { rows.append(row) }

  func render(indent: String = "") -> [String] {
    var widths = headers.map(\.count)
    for row in rows {
      for (index, cell) in row.enumerated() where index < widths.count {
        widths[index] = max(widths[index], cell.count)
      }
    }
    func line(_ cells: [String]) -> String {
      var text = indent
      for (index, width) in widths.enumerated() {
        let cell = index < cells.count ? cells[index] : ""
        let padding = String(repeating: " ", count: max(0, width - cell.count))
        text += rightAligned.contains(index) ? padding + cell : cell + padding
        if index < widths.count - 1 { text += "  " }
      }
      return String(text.reversed().drop { $0 == " " }.reversed())
    }
    let rule = indent + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")
    return [line(headers), rule] + rows.map(line)
  }
}
