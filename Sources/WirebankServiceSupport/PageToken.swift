import Foundation

/// A keyset position for List calls: the last item's sort key, and a digest of the filters it
/// was issued for (a token is only valid with the same filters). Opaque to clients (base64url).
public struct PageToken: Sendable, Hashable {
  /// The sort key of the last item returned.
  public var position: String
  /// A short fingerprint of the request's filters.
  public var filters: String

  /// Page sizes: 0 means the default; larger requests are clamped.
  public static let defaultPageSize = 50
  public static let maximumPageSize = 500

  /// The page size to use for a request asking for `requested`.
  public static func pageSize(_ requested: Int32) -> Int {
    requested <= 0 ? defaultPageSize : min(Int(requested), maximumPageSize)
  }

  /// A token for the position after `position` under `filters`.
  public init(position: String, filters: String) {
    self.position = position
    self.filters = filters
  }

  /// Decodes a client's token; nil when it is malformed.
  public init?(encoded: String) {
    var base64 = encoded.replacingOccurrences(of: "-", with: "+")
      .replacingOccurrences(of: "_", with: "/")
    while base64.count % 4 != 0 { base64 += "=" }
    guard let data = Data(base64Encoded: base64),
      let text = String(data: data, encoding: .utf8)
    else { return nil }
    let parts = text.split(separator: "|", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0] == "v1" else { return nil }
    position = String(parts[1])
    filters = String(parts[2])
  }

  /// The token as sent to clients.
  public var encoded: String {
    Data("v1|\(position)|\(filters)".utf8).base64EncodedString()
      .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
      .replacingOccurrences(of: "=", with: "")
  }

  /// A stable fingerprint of `parts` (FNV-1a, 64 bits, hex): tells filter sets apart.
  public static func fingerprint(_ parts: [String]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in parts.joined(separator: "\u{1F}").utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01B3
    }
    return String(hash, radix: 16)
  }
}
