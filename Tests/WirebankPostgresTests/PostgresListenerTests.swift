import Synchronization
import Testing
import WirebankPostgres

@Suite struct PostgresListenerTests {
  @Test func deliversNotificationsAndReconnects() async throws {
    try await withPool(try await TestCluster.freshPool("listen")) { pool in
      let channel = "Jobs \"quoted\"; LISTEN x"
      let listener = PostgresListener(
        configuration: pool.configuration, channels: [channel, "other"],
        reconnectBackoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(50)),
        logger: TestCluster.logger)
      let running = Task { await listener.run() }
      var events = listener.events.makeAsyncIterator()
      #expect(await events.next() == .listening)

      let payload = "it's \"here\"; DROP TABLE x; --"
      try await pool.query("SELECT pg_notify(\(channel), \(payload))")
      guard case .notification(let first) = await events.next() else {
        Issue.record("expected a notification")
        return
      }
      #expect(first.channel == channel && first.payload == payload)

      // Kill the listening backend: the listener must reconnect and listen again.
      let killed = try await pool.query(
        """
        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE query LIKE 'LISTEN%' AND datname = current_database()
        """)
      #expect(killed.count >= 1)
      #expect(await events.next() == .listening)
      try await pool.query("SELECT pg_notify('other', 'again')")
      guard case .notification(let second) = await events.next() else {
        Issue.record("expected a notification after reconnecting")
        return
      }
      #expect(second.channel == "other" && second.payload == "again")

      running.cancel()
      await running.value
      #expect(await events.next() == nil)
    }
  }

  @Test func cancellationStopsPromptly() async throws {
    let configuration = try await TestCluster.freshDatabase("listen")
    let listener = PostgresListener(
      configuration: configuration, channels: ["quiet"], logger: TestCluster.logger)
    let running = Task { await listener.run() }
    var events = listener.events.makeAsyncIterator()
    #expect(await events.next() == .listening)
    let start = ContinuousClock.now
    running.cancel()
    await running.value
    // Far below the 30 s idle check it would otherwise wait for, with room for a slow machine.
    #expect(ContinuousClock.now - start < .seconds(10))
  }

  @Test func notificationsWakeTheListenerWithoutWaitingForItsIdleCheck() async throws {
    try await withPool(try await TestCluster.freshPool("listen")) { pool in
      // The idle check is an hour away: only the socket waking `poll` can deliver these.
      let listener = PostgresListener(
        configuration: pool.configuration, channels: ["fast"], idleCheckInterval: .seconds(3600),
        logger: TestCluster.logger)
      let running = Task { await listener.run() }
      let seen = Mutex<(listening: Bool, arrivals: [String: ContinuousClock.Instant])>((false, [:]))
      let consuming = Task {
        for await event in listener.events {
          switch event {
          case .listening: seen.withLock { $0.listening = true }
          case .notification(let note): seen.withLock { $0.arrivals[note.payload] = .now }
          }
        }
      }
      try await waitUntil("LISTEN") { seen.withLock { $0.listening } }
      var latencies: [Duration] = []
      for index in 0..<20 {
        let payload = String(index)
        let start = ContinuousClock.now
        try await pool.query("SELECT pg_notify('fast', \(payload))")
        try await waitUntil(timeout: .seconds(30), "notification \(payload)") {
          seen.withLock { $0.arrivals[payload] != nil }
        }
        latencies.append(try #require(seen.withLock { $0.arrivals[payload] }) - start)
      }
      running.cancel()
      await running.value
      await consuming.value
      // A figure for the log, not a bound: speed is the benchmarks' business.
      print("pg_notify → listener event: p50 \(latencies.sorted()[latencies.count / 2])")
    }
  }
}
