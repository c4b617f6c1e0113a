import Synchronization
import Testing
import WirebankPostgres

@Suite struct PostgresPoolTests {
  /// Eight tasks share two connections: two leases at a time, never a third backend.
  @Test func neverOpensMoreThanMaxConnections() async throws {
    let options = PostgresPool.Options(maxConnections: 2)
    try await withPool(try await TestCluster.freshPool("pool", options: options)) { pool in
      let peak = try await lease(pool, tasks: 8, holdingUntil: 2) { connection in
        try await connection.query("SELECT pg_sleep(0.02)")
      }
      #expect(peak == 2)
      let backends = try await pool.query(
        """
        SELECT count(*) FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend'
        """
      ).single().decode(Int64.self)
      #expect(backends <= 2)
      #expect(pool.statistics == .init(idle: 2, leased: 0, connecting: 0, waiting: 0))
    }
  }

  /// Statements on many connections wait for their answers together (the one poller thread
  /// watches every socket), and each answer reaches the task that sent its statement.
  @Test func statementsInFlightTogetherGetTheirOwnAnswers() async throws {
    let options = PostgresPool.Options(maxConnections: 8)
    try await withPool(try await TestCluster.freshPool("pool", options: options)) { pool in
      let gate = PostgresPool(configuration: pool.configuration, logger: TestCluster.logger)
      try await withPool(gate) { gate in
        try await gate.withConnection { holder in
          try await holder.query("SELECT pg_advisory_lock(\(Int64(7001)))")
          let answered = Counter()
          let answers = Task {
            try await withThrowingTaskGroup(of: (Int32, Int32).self) { group in
              for index in Int32(0)..<8 {
                group.addTask {
                  let rows = try await pool.query(
                    "SELECT \(index) FROM (SELECT pg_advisory_lock_shared(\(Int64(7001)))) AS wait")
                  defer { answered.increment() }
                  return (index, try rows.single().decode(Int32.self))
                }
              }
              return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
          }
          try await waitUntil("eight statements waiting on the lock at once") {
            try await gate.query(
              """
              SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'
              """
            ).single().decode(Int64.self) == 8
          }
          try await holder.query("SELECT pg_advisory_unlock(\(Int64(7001)))")
          try await waitUntil("every statement answered") { answered.current == 8 }
          let byIndex = try await answers.value
          #expect(byIndex == Dictionary(uniqueKeysWithValues: (Int32(0)..<8).map { ($0, $0) }))
        }
      }
    }
  }

  @Test func waitersTimeOutAndCancel() async throws {
    let options = PostgresPool.Options(maxConnections: 1, leaseTimeout: .milliseconds(200))
    try await withPool(try await TestCluster.freshPool("pool", options: options)) { pool in
      try await pool.withConnection { _ in
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        #expect(error?.kind == .poolTimedOut)
      }
    }
    // A waiter with time to spare, so that the cancellation, not the timeout, ends it.
    let patient = PostgresPool.Options(maxConnections: 1, leaseTimeout: .seconds(60))
    try await withPool(try await TestCluster.freshPool("pool", options: patient)) { pool in
      try await pool.withConnection { _ in
        let waiter = Task { try await pool.query("SELECT 1") }
        try await waitUntil { pool.statistics.waiting == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(pool.statistics.waiting == 0)
      }
      #expect(try await pool.query("SELECT 7").single().decode(Int32.self) == 7)
    }
  }

  @Test func closeFailsWaitersAndLaterLeases() async throws {
    let pool = try await TestCluster.freshPool("pool", options: .init(maxConnections: 1))
    let release = Rendezvous(parties: 2)
    let holder = Task {
      try await pool.withConnection { _ in try await release.arrive() }
    }
    try await waitUntil { pool.statistics.leased == 1 }
    let waiter = Task { try await pool.query("SELECT 1") }
    try await waitUntil { pool.statistics.waiting == 1 }
    let closing = Task { await pool.close() }
    let error = await #expect(throws: PostgresError.self) { try await waiter.value }
    #expect(error?.kind == .poolClosed)
    try await release.arrive()
    try await holder.value
    await closing.value
    let late = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
    #expect(late?.kind == .poolClosed)
  }

  @Test func aTerminatedConnectionIsReplacedUnnoticed() async throws {
    try await withPool(try await TestCluster.freshPool("pool", options: .init(maxConnections: 1))) {
      pool in
      let pid = try await pool.query("SELECT pg_backend_pid()").single().decode(Int32.self)
      let killer = PostgresPool(configuration: pool.configuration, logger: TestCluster.logger)
      try await killer.query("SELECT pg_terminate_backend(\(pid))")
      await killer.close()
      try await waitUntil { try await isGone(pid, pool.configuration) }
      let newPID = try await pool.query("SELECT pg_backend_pid()").single().decode(Int32.self)
      #expect(newPID != pid)
    }
  }

  /// Stops and starts a cluster of its own under a pool of open connections.
  @Test func recoversAfterTheServerRestarts() async throws {
    let cluster = try await TestCluster.startCluster(named: "restart")
    let configuration = try await cluster.createDatabaseIfAbsent("restart")
    try await withPool(
      PostgresPool(
        configuration: configuration, options: .init(maxConnections: 3), logger: TestCluster.logger)
    ) { pool in
      try await lease(pool, tasks: 3, holdingUntil: 3) { try await $0.query("SELECT 1") }
      #expect(pool.statistics.idle == 3)
      try await cluster.stop()
      let down = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
      #expect(down?.kind == .connectionFailed)
      try await cluster.start()
      // Every idle connection died with the old server: none of these may fail.
      try await runConcurrently(pool, 6)
      #expect(pool.statistics.leased == 0)
    }
    try await cluster.stop()
  }

  /// Runs `body` in `tasks` leases, each held until `together` were held at once (so the pool
  /// opens that many connections however fast it connects); returns the most held at once.
  @discardableResult
  private func lease(
    _ pool: PostgresPool, tasks: Int, holdingUntil together: Int,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Void
  ) async throws -> Int {
    let held = Counter()
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<tasks {
        group.addTask {
          try await pool.withConnection { connection in
            held.increment()
            try await waitUntil("\(together) connections leased at once") {
              held.peak >= together
            }
            try await body(connection)
            held.decrement()
          }
        }
      }
      try await group.waitForAll()
    }
    return held.peak
  }

  private func runConcurrently(_ pool: PostgresPool, _ count: Int) async throws {
    try await withThrowingTaskGroup(of: Int32.self) { group in
      for value in 0..<count {
        group.addTask {
          try await pool.query("SELECT \(Int32(value)), pg_sleep(0.01)").single().decode(
            Int32.self, at: 0)
        }
      }
      var sum: Int32 = 0
      for try await value in group { sum += value }
      #expect(Int(sum) == (0..<count).reduce(0, +))
    }
  }

  private func isGone(_ pid: Int32, _ configuration: PostgresConfiguration) async throws -> Bool {
    try await withPool(PostgresPool(configuration: configuration, logger: TestCluster.logger)) {
      probe in
      try await probe.query("SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid)")
        .single().decode(Int64.self) == 0
    }
  }
}
