import Testing
import WirebankPostgres

/// The services' single-column rules are domains (checked without re-reading the table's
/// constraints at every write); each still refuses what it refused as a CHECK constraint.
@Suite struct SchemaRulesTests {
  @Test func singleColumnRulesHoldAsDomains() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    let columns: [(PostgresPool, String, String, String)] = [
      (lending.originationPool, "applications", "status", "'BOGUS'"),
      (lending.originationPool, "applications", "principal_minor", "0"),
      (lending.originationPool, "applications", "term_months", "0"),
      (lending.scoringPool, "scored_applications", "state", "'BOGUS'"),
      (lending.scoringPool, "scored_applications", "outcome", "'MAYBE'"),
      (lending.enginePool, "agreements", "status", "'BOGUS'"),
      (lending.enginePool, "agreements", "principal_minor", "0"),
      (lending.enginePool, "agreements", "monthly_payment_minor", "0"),
      (lending.enginePool, "agreements", "origination_fee_minor", "-1"),
      (lending.enginePool, "schedule_entries", "period_number", "0"),
      (lending.enginePool, "schedule_entries", "interest_minor", "-1"),
      (lending.enginePool, "schedule_entries", "paid_minor", "-1"),
    ]
    for (pool, table, column, value) in columns {
      let type = try await pool.query(
        """
        SELECT format_type(atttypid, NULL) FROM pg_attribute
        WHERE attrelid = \(table)::regclass AND attname = \(column)
        """
      ).single().decode(String.self)
      let error = await #expect(throws: PostgresError.self) {
        try await pool.query("SELECT CAST(\(unsafeSQL: value) AS \(unsafeSQL: type))")
      }
      #expect(error?.code == .checkViolation, "\(table).\(column) of type \(type)")
    }
  }
}
