import Testing
import WirebankServiceSupport

/// Identity documents are keyed by their trimmed, upper-cased fields.
@Suite struct DocumentTextTests {
  @Test(arguments: [
    ("  ab 12\n", "AB 12"), ("\t\u{00A0}x\u{3000}", "X"), ("ру", "РУ"), ("", ""), (" \n\t", ""),
    ("a  b", "A  B"), ("\u{2028}é\u{2029}", "É"), ("\u{200B}z", "\u{200B}Z"),
  ])
  func fieldsAreTrimmedOfWhiteSpaceAndUpperCased(text: String, expected: String) {
    #expect(normalizedDocumentPart(text) == expected)
  }

  @Test func blankMeansOnlyWhiteSpace() {
    #expect("".isBlank && " \t\n\u{00A0}".isBlank)
    #expect(!" a ".isBlank && !"\u{200B}".isBlank)
  }
}
