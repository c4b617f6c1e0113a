import Synchronization
import Testing
import WirebankPostgres

@Suite struct PostgresTransactionTests {
  @Test func commitsOnReturnAndRollsBackOnThrow() async throws {
    try await withPool(try await TestCluster.freshPool("tx")) { pool in
      try await pool.query("CREATE TABLE t (n int8)")
      try await pool.withTransaction { tx in try await tx.query("INSERT INTO t VALUES (1)") }
      struct Boom: Error {}
      await #expect(throws: Boom.self) {
        try await pool.withTransaction { tx in
          try await tx.query("INSERT INTO t VALUES (2)")
          throw Boom()
        }
      }
      let values = try await pool.query("SELECT n FROM t").map { try $0.decode(Int64.self) }
      #expect(values == [1])
      #expect(pool.statistics.leased == 0)
    }
  }

  @Test func isolationLevelAndReadOnlyAreApplied() async throws {
    try await withPool(try await TestCluster.freshPool("tx")) { pool in
      let level = try await pool.withTransaction(isolationLevel: .serializable, readOnly: true) {
        tx in
        let level = try await tx.query("SHOW transaction_isolation").single().decode(String.self)
        let readOnly = try await tx.query("SHOW transaction_read_only").single().decode(String.self)
        return "\(level)/\(readOnly)"
      }
      #expect(level == "serializable/on")
    }
  }

  @Test func aSwallowedStatementErrorMakesCommitFail() async throws {
    try await withPool(try await TestCluster.freshPool("tx")) { pool in
      try await pool.query("CREATE TABLE t (n int8 PRIMARY KEY)")
      let error = await #expect(throws: PostgresError.self) {
        try await pool.withTransaction { tx in
          try await tx.query("INSERT INTO t VALUES (1)")
          _ = try? await tx.query("INSERT INTO t VALUES (1)")
        }
      }
      #expect(error?.code == .inFailedSQLTransaction)
      #expect(try await pool.query("SELECT count(*) FROM t").single().decode(Int64.self) == 0)
    }
  }

  @Test func transactionHandleIsUnusableAfterwards() async throws {
    try await withPool(try await TestCluster.freshPool("tx")) { pool in
      let escaped = try await pool.withTransaction { tx in tx }
      let error = await #expect(throws: PostgresError.self) { try await escaped.query("SELECT 1") }
      #expect(error?.kind == .transactionClosed)
    }
  }

  /// Write skew: each transaction reads both rows, then takes its own doctor off call. Under
  /// SERIALIZABLE one of them must fail with 40001; the retry then sees the other's commit.
  @Test func serializationFailureIsRetried() async throws {
    try await withPool(try await TestCluster.freshPool("tx")) { pool in
      try await pool.query("CREATE TABLE doctors (id int PRIMARY KEY, on_call bool NOT NULL)")
      try await pool.query("INSERT INTO doctors VALUES (1, true), (2, true)")
      let attempts = Counter()
      let bothRead = Rendezvous(parties: 2)
      try await withThrowingTaskGroup(of: Void.self) { group in
        for id in [Int32(1), Int32(2)] {
          group.addTask {
            try await pool.withTransaction(isolationLevel: .serializable) { tx in
              let attempt = attempts.increment()
              let onCall = try await tx.query("SELECT count(*) FROM doctors WHERE on_call")
                .single().decode(Int64.self)
              if attempt <= 2 { try await bothRead.arrive() }
              if onCall >= 2 {
                try await tx.query("UPDATE doctors SET on_call = false WHERE id = \(id)")
              }
            }
          }
        }
        try await group.waitForAll()
      }
      // One of the two failed at least once (a retry may itself meet the other's commit).
      #expect(attempts.current >= 3)
      let onCall = try await pool.query("SELECT count(*) FROM doctors WHERE on_call").single()
      #expect(try onCall.decode(Int64.self) == 1)
    }
  }

  @Test func retriesStopAtTheBound() async throws {
    try await withPool(try await TestCluster.freshPool("tx")) { pool in
      let attempts = Counter()
      let policy = PostgresRetryPolicy(
        maxAttempts: 3, backoff: Backoff(initial: .milliseconds(1), maximum: .milliseconds(2)))
      let error = await #expect(throws: PostgresError.self) {
        try await pool.withTransaction(retry: policy) { tx in
          attempts.increment()
          try await tx.query("SELECT 1")
          throw PostgresError(.server, code: .deadlockDetected, reason: "provoked")
        }
      }
      #expect(error?.code == .deadlockDetected)
      #expect(attempts.current == 3)
    }
  }
}

/// Lets `parties` tasks continue only once all of them have arrived.
final class Rendezvous: Sendable {
  private let state: Mutex<(arrived: Int, waiting: [CheckedContinuation<Void, Never>])>
  private let parties: Int

  init(parties: Int) {
    self.parties = parties
    state = Mutex((0, []))
  }

  func arrive() async throws {
    await withCheckedContinuation { continuation in
      let release = state.withLock { state -> [CheckedContinuation<Void, Never>] in
        state.arrived += 1
        state.waiting.append(continuation)
        guard state.arrived == parties else { return [] }
        defer { state.waiting = [] }
        return state.waiting
      }
      release.forEach { $0.resume() }
    }
  }
}
