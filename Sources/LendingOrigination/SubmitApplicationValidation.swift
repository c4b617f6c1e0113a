import WirebankServiceSupport
import Foundation
import WirebankContracts

/// Field-level checks of a submission: every fault is collected, with its dotted field path.
///
/// Only the shape of the request is checked here; whether the terms suit the product, and
/// whether the applicant qualifies, is Scoring's decision (with reason codes).
struct SubmitApplicationValidation {
  /// "Today" for the birth-date check (UTC).
  var today: (year: Int, month: Int, day: Int)

  init(now: Date) {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
    let parts = calendar.dateComponents([.year, .month, .day], from: now)
    today = (parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
  }

  func violations(of request: OriginationSubmitApplicationRequest) -> FieldViolations {
    var violations = FieldViolations()
    if request.idempotencyKey.utf8.count > 255 {
      violations.add("idempotency_key", "must be at most 255 bytes")
    }
    if let applicant = request.applicant {
      check(applicant, into: &violations)
    } else {
      violations.add("applicant", "is required")
    }
    if let terms = request.terms {
      check(terms, into: &violations)
    } else {
      violations.add("terms", "is required")
    }
    if request.metadata.count > 20 { violations.add("metadata", "has more than 20 entries") }
    for key in request.metadata.keys.sorted() {
      if key.isEmpty || key.count > 64 {
        violations.add("metadata", "keys are 1 to 64 characters")
      } else if (request.metadata[key] ?? "").count > 512 {
        violations.add("metadata[\(key)]", "must be at most 512 characters")
      }
    }
    return violations
  }

  private func check(_ applicant: LendingApplicant, into violations: inout FieldViolations) {
    if let document = applicant.identityDocument {
      if document.kind == .unspecified || document.kind.protoName == nil {
        violations.add("applicant.identity_document.kind", "must be a defined document kind")
      }
      let country = normalizedDocumentPart(document.issuingCountry)
      if country.count != 2 || !country.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) {
        violations.add(
          "applicant.identity_document.issuing_country", "must be an ISO 3166-1 alpha-2 code")
      }
      if normalizedDocumentPart(document.series).count > 16 {
        violations.add("applicant.identity_document.series", "must be at most 16 characters")
      }
      let number = normalizedDocumentPart(document.number)
      if number.isEmpty || number.count > 32 {
        violations.add("applicant.identity_document.number", "is required (at most 32 characters)")
      }
    } else {
      violations.add("applicant.identity_document", "is required")
    }
    for (field, value) in [("first_name", applicant.firstName), ("last_name", applicant.lastName)]
    where value.isBlank || value.count > 100 {
      violations.add("applicant.\(field)", "is required (at most 100 characters)")
    }
    if applicant.middleName.count > 100 {
      violations.add("applicant.middle_name", "must be at most 100 characters")
    }
    if let birth = applicant.birthDate {
      if !isValidBirthDate(birth) {
        violations.add("applicant.birth_date", "must be a real date after 1900 and before today")
      }
    } else {
      violations.add("applicant.birth_date", "is required")
    }
    if !applicant.email.isEmpty && !isPlausibleEmail(applicant.email) {
      violations.add("applicant.email", "must be an e-mail address")
    }
    if !isE164(applicant.phone) {
      violations.add("applicant.phone", "must be in E.164 form, e.g. +79991234567")
    }
    if let income = applicant.monthlyIncome {
      if income.amountMinor < 0 {
        violations.add("applicant.monthly_income.amount_minor", "must not be negative")
      }
      if !isCurrencyCode(income.currency) {
        violations.add("applicant.monthly_income.currency", "must be an ISO 4217 code")
      }
    }
  }

  private func check(_ terms: LendingLoanTerms, into violations: inout FieldViolations) {
    let code = terms.productCode
    if code.isEmpty || code.count > 64
      || !code.unicodeScalars.allSatisfy({
        ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
      })
    {
      violations.add("terms.product_code", "is required (upper-case letters, digits and _)")
    }
    if let principal = terms.principal {
      if principal.amountMinor <= 0 {
        violations.add("terms.principal.amount_minor", "must be positive")
      }
      if !isCurrencyCode(principal.currency) {
        violations.add("terms.principal.currency", "must be an ISO 4217 code")
      }
    } else {
      violations.add("terms.principal", "is required")
    }
    if terms.termMonths <= 0 || terms.termMonths > 600 {
      violations.add("terms.term_months", "must be between 1 and 600")
    }
  }

  private func isValidBirthDate(_ date: CommonDate) -> Bool {
    let (year, month, day) = (Int(date.year), Int(date.month), Int(date.day))
    guard year >= 1900, (1...12).contains(month), day >= 1 else { return false }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    guard day <= lengths[month - 1] else { return false }
    return (year, month, day) < today
  }

  private func isCurrencyCode(_ code: String) -> Bool {
    code.count == 3 && code.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) }
  }

  private func isE164(_ phone: String) -> Bool {
    let digits = phone.dropFirst()
    return phone.first == "+" && (7...15).contains(digits.count) && digits.first != "0"
      && digits.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
  }

  private func isPlausibleEmail(_ email: String) -> Bool {
    let parts = email.split(separator: "@", omittingEmptySubsequences: false)
    return email.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
      && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".") && !email.contains(" ")
  }
}
