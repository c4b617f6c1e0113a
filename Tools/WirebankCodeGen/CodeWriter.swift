/// Accumulates generated source text with indentation.
struct CodeWriter {
  private(set) var text = ""
  private var indentation = ""
  let indentUnit: String

  init(indentUnit: String = "  ") {
    self.indentUnit = indentUnit
  }

  /// Writes one line at the current indentation (an empty string writes a blank line).
  mutating func line(_ content: String = "") {
    text += content.isEmpty ? "\n" : indentation + content + "\n"
  }

  /// Writes `open`, the body one level deeper, then `close`.
  mutating func block(_ open: String, close: String = "}", _ body: (inout CodeWriter) -> Void) {
    line(open)
    indentation += indentUnit
    body(&self)
    indentation.removeLast(indentUnit.count)
    line(close)
  }

  /// Writes `comment` as `///` lines (nothing when empty).
  mutating func docComment(_ comment: String) {
    if comment.isEmpty { return }
    for commentLine in comment.split(separator: "\n", omittingEmptySubsequences: false) {
      let trimmed = commentLine.hasPrefix(" ") ? commentLine.dropFirst() : commentLine[...]
      line(trimmed.isEmpty ? "///" : "/// \(trimmed)")
    }
  }
}
