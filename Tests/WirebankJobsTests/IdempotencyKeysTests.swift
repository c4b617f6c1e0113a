import Foundation
import Synchronization
import Testing
import WirebankJobs
import WirebankPostgres

@Suite struct IdempotencyKeysTests {
  static let start = Date(timeIntervalSince1970: 1_700_000_000)

  @Test func sameRequestReplaysTheFirstResponse() async throws {
    try await withJobsPool { pool in
      try await pool.query("CREATE TABLE charges (id serial PRIMARY KEY, amount int8)")
      let keys = IdempotencyKeys(pool: pool, clock: ManualClock(Self.start))
      let request = RequestFingerprint(method: "/billing.v1.Billing/Charge", request: [1, 2, 3])
      let charge: (PostgresTransaction) async throws -> [UInt8] = { tx in
        let id = try await tx.query("INSERT INTO charges (amount) VALUES (100) RETURNING id")
          .single().decode(Int32.self)
        return Array("charge-\(id)".utf8)
      }
      let first = try await keys.perform(scope: "charge", key: "k-1", request: request, charge)
      let second = try await keys.perform(scope: "charge", key: "k-1", request: request, charge)
      #expect(!first.replayed && second.replayed && first.body == second.body)
      #expect(try await pool.query("SELECT count(*) FROM charges").single().decode(Int64.self) == 1)
      // Scopes are separate key spaces.
      let elsewhere = try await keys.perform(scope: "refund", key: "k-1", request: request, charge)
      #expect(!elsewhere.replayed)
    }
  }

  @Test func sameKeyWithAnotherRequestIsRefused() async throws {
    try await withJobsPool { pool in
      let clock = ManualClock(Self.start)
      let keys = IdempotencyKeys(pool: pool, clock: clock)
      let original = RequestFingerprint(method: "/m", request: [1])
      _ = try await keys.perform(scope: "s", key: "k", request: original) { _ in [9] }
      let error = await #expect(throws: IdempotencyError.self) {
        try await keys.perform(
          scope: "s", key: "k", request: RequestFingerprint(method: "/m", request: [2])
        ) { _ in [0] }
      }
      #expect(error?.code == .requestMismatch && error?.isRetryable == false)
      // After 24 hours the key is forgotten and may carry a new request.
      clock.advance(by: 86_400)
      let later = try await keys.perform(
        scope: "s", key: "k", request: RequestFingerprint(method: "/m", request: [2])
      ) { _ in [2] }
      #expect(later == IdempotencyKeys.Response(body: [2], replayed: false))
      clock.advance(by: 86_399)
      #expect(try await keys.purgeExpired() == 0)
      clock.advance(by: 1)
      #expect(try await keys.purgeExpired() == 1)
    }
  }

  /// Eight concurrent duplicates while the first is still running: one runs, the others are told
  /// to retry (ABORTED); once it finished, a duplicate gets the stored response.
  @Test func concurrentDuplicatesAreAbortedWhileTheFirstRuns() async throws {
    try await withJobsPool(maxConnections: 12) { pool in
      let keys = IdempotencyKeys(pool: pool, clock: ManualClock(Self.start))
      let request = RequestFingerprint(canonicalBytes: Array("transfer 500".utf8))
      let runs = Tally()
      let gate = Gate()
      // Opened on every path: should a duplicate fail, the first request still returns its
      // connection, so closing the pool ends and the test fails instead of hanging.
      defer { gate.open() }
      let first = Task {
        try await keys.perform(scope: "transfer", key: "t-1", request: request) { _ in
          runs.add()
          await gate.wait()
          return [42]
        }
      }
      try await eventually("the first request is running") { gate.hasWaiter }
      let outcomes = try await withThrowingTaskGroup(of: IdempotencyError.Code?.self) { group in
        for _ in 0..<8 {
          group.addTask {
            do {
              _ = try await keys.perform(scope: "transfer", key: "t-1", request: request) { _ in
                runs.add()
                return [0]
              }
              return nil
            } catch let error as IdempotencyError {
              return error.code
            }
          }
        }
        return try await group.reduce(into: [IdempotencyError.Code?]()) { $0.append($1) }
      }
      #expect(outcomes.allSatisfy { $0 == .inFlight })
      gate.open()
      #expect(try await first.value == IdempotencyKeys.Response(body: [42], replayed: false))
      let replay = try await keys.perform(scope: "transfer", key: "t-1", request: request) { _ in
        [0]
      }
      #expect(replay == IdempotencyKeys.Response(body: [42], replayed: true))
      #expect(runs.count == 1)
    }
  }

  @Test func aFailedOperationLeavesNoTraceAndStaleReservationsAreTakenOver() async throws {
    try await withJobsPool { pool in
      let clock = ManualClock(Self.start)
      let keys = IdempotencyKeys(pool: pool, clock: clock, inFlightTimeout: .seconds(60))
      let request = RequestFingerprint(canonicalBytes: [7])
      struct Declined: Error {}
      await #expect(throws: Declined.self) {
        try await keys.perform(scope: "s", key: "k", request: request) { _ in throw Declined() }
      }
      let retried = try await keys.perform(scope: "s", key: "k2", request: request) { _ in [1] }
      #expect(!retried.replayed)
      #expect(
        try await keys.perform(scope: "s", key: "k", request: request) { _ in [3] }.body == [3])
      // A reservation whose process died (never completed) blocks only until it times out.
      try await pool.query(
        """
        INSERT INTO wirebank_idempotency_keys (scope, key, fingerprint, state, created_at, locked_until)
        VALUES ('s', 'orphan', \(request.digest), 'in_flight', \(clock.now()), \(clock.now().addingTimeInterval(60)))
        """)
      let blocked = await #expect(throws: IdempotencyError.self) {
        try await keys.perform(scope: "s", key: "orphan", request: request) { _ in [4] }
      }
      #expect(blocked?.code == .inFlight && blocked?.isRetryable == true)
      clock.advance(by: 61)
      #expect(
        try await keys.perform(scope: "s", key: "orphan", request: request) { _ in [4] }.body == [4]
      )
      await #expect(throws: IdempotencyError.self) {
        try await keys.perform(scope: "s", key: "", request: request) { _ in [] }
      }
    }
  }
}
