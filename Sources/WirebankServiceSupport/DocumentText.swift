/// An identity document's field as services compare and key it: without leading or trailing
/// white space (Unicode `White_Space`, newlines included) and upper-cased.
///
/// Plain Swift: Foundation's `trimmingCharacters(in:)` bridges through `NSString` on Linux.
public func normalizedDocumentPart(_ text: String) -> String {
  text.trimmingWhiteSpace().uppercased()
}

extension String {
  /// This text without leading or trailing white space (Unicode `White_Space`).
  public func trimmingWhiteSpace() -> String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
    let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) ?? first
    if first == scalars.startIndex && last == scalars.index(before: scalars.endIndex) {
      return self
    }
    return String(scalars[first...last])
  }

  /// Whether this text is empty or only white space.
  public var isBlank: Bool { unicodeScalars.allSatisfy(\.properties.isWhitespace) }
}
