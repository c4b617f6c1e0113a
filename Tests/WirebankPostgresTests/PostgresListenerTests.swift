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
    #expect(ContinuousClock.now - start < .seconds(2))
  }

  @Test func notificationsArriveWithinMilliseconds() async throws {
    try await withPool(try await TestCluster.freshPool("listen")) { pool in
      let listener = PostgresListener(
        configuration: pool.configuration, channels: ["fast"], logger: TestCluster.logger)
      let running = Task { await listener.run() }
      var events = listener.events.makeAsyncIterator()
      #expect(await events.next() == .listening)
      var latencies: [Duration] = []
      for index in 0..<20 {
        let start = ContinuousClock.now
        try await pool.query("SELECT pg_notify('fast', \(String(index)))")
        guard case .notification(let notification) = await events.next() else { break }
        latencies.append(ContinuousClock.now - start)
        #expect(notification.payload == String(index))
      }
      running.cancel()
      await running.value
      let median = latencies.sorted()[latencies.count / 2]
      print("pg_notify → listener event: p50 \(median)")
      // Typically about a millisecond; the bound leaves room for a loaded 2-core machine.
      #expect(median < .milliseconds(200), "median NOTIFY round trip \(median)")
    }
  }
}
