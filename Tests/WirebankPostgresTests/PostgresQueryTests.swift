import Testing
import WirebankPostgres

@Suite struct PostgresQueryTests {
  @Test func interpolatedValuesBecomeNumberedPlaceholders() {
    let name = "O'Brien"
    let age: Int32 = 42
    let nickname: String? = nil
    let query: PostgresQuery =
      "SELECT * FROM people WHERE name = \(name) AND age > \(age) OR nick = \(nickname)"
    #expect(query.sql == "SELECT * FROM people WHERE name = $1 AND age > $2 OR nick = $3")
    #expect(query.bindings.count == 3)
    #expect(!query.description.contains("O'Brien"))
  }

  @Test func identifiersAreQuotedAndUnsafeSQLIsVerbatim() {
    let table = "weird\"name; DROP TABLE x"
    let query: PostgresQuery = "SELECT 1 FROM \(identifier: table) \(unsafeSQL: "LIMIT 1")"
    #expect(query.sql == "SELECT 1 FROM \"weird\"\"name; DROP TABLE x\" LIMIT 1")
    #expect(query.bindings.count == 0)
  }

  @Test func literalWithoutInterpolationHasNoBindings() {
    let query: PostgresQuery = "SELECT 1"
    #expect(query.sql == "SELECT 1" && query.bindings.count == 0)
    #expect(PostgresQuery(unsafeSQL: "SELECT 2").sql == "SELECT 2")
  }

  @Test(arguments: ["0", "-12.50", "+1", ".5", "1e10", "2.5E-3", "NaN", "Infinity", "-Infinity"])
  func numericAcceptsDecimalText(_ text: String) {
    #expect(PostgresNumeric(text)?.description == text)
  }

  @Test(arguments: ["", "-", "1.2.3", "1e", "abc", "1 ", "0x10", "1,5", "nan"])
  func numericRejectsOtherText(_ text: String) {
    #expect(PostgresNumeric(text) == nil)
  }

  @Test func backoffStaysWithinBoundsAndGrows() {
    let backoff = Backoff(initial: .milliseconds(10), maximum: .seconds(1))
    for attempt in 1...20 {
      let ceiling = backoff.cappedDelay(forAttempt: attempt)
      let delay = backoff.delay(forAttempt: attempt)
      #expect(delay >= ceiling / 2 && delay <= ceiling)
    }
    #expect(backoff.cappedDelay(forAttempt: 1) == .milliseconds(10))
    #expect(backoff.cappedDelay(forAttempt: 3) == .milliseconds(40))
    #expect(backoff.cappedDelay(forAttempt: 100) == .seconds(1))
  }
}
