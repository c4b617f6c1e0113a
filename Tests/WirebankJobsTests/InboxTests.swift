import Testing
import WirebankJobs
import WirebankPostgres

@Suite struct InboxTests {
  /// Eight concurrent deliveries of one payment notification credit the balance once.
  @Test func concurrentRedeliveriesApplyOnce() async throws {
    try await withJobsPool(maxConnections: 8) { pool in
      try await pool.query("CREATE TABLE balances (account text PRIMARY KEY, amount int8 NOT NULL)")
      try await pool.query("INSERT INTO balances VALUES ('dealer-1', 0)")
      let applied = try await withThrowingTaskGroup(of: Bool.self) { group in
        for _ in 0..<8 {
          group.addTask {
            try await pool.withTransaction { tx in
              guard try await Inbox.receive(messageID: "payment-77", from: "billing", in: tx) else {
                return false
              }
              try await tx.query(
                "UPDATE balances SET amount = amount + 500 WHERE account = 'dealer-1'")
              return true
            }
          }
        }
        return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
      }
      #expect(applied == 1)
      let amount = try await pool.query("SELECT amount FROM balances").single().decode(Int64.self)
      #expect(amount == 500)
      // Another sender may use the same id for a different message.
      let other = try await pool.withTransaction {
        try await Inbox.receive(messageID: "payment-77", from: "other-sender", in: $0)
      }
      #expect(other)
    }
  }

  @Test func aRolledBackReceiptDoesNotCount() async throws {
    try await withJobsPool { pool in
      struct Failed: Error {}
      await #expect(throws: Failed.self) {
        try await pool.withTransaction { tx in
          _ = try await Inbox.receive(messageID: "m1", from: "s", in: tx)
          throw Failed()
        }
      }
      let retried = try await pool.withTransaction {
        try await Inbox.receive(messageID: "m1", from: "s", in: $0)
      }
      #expect(retried)
    }
  }
}
