import Foundation
import WirebankContracts

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

extension Date {
  /// This instant with the sub-microsecond part dropped, as PostgreSQL stores it.
  var truncatedToMicroseconds: Date {
    let micros = (timeIntervalSince1970 * 1_000_000).rounded(.down)
    return Date(timeIntervalSince1970: micros / 1_000_000)
  }
}
