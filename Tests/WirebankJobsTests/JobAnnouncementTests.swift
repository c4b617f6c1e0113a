import Foundation
import Testing
import TestSupport
import WirebankPostgres

@testable import WirebankJobs

/// Jobs queued through a dispatcher are announced after their statement commits: the local
/// worker directly, workers elsewhere by a coalesced `pg_notify`, never by a `NOTIFY` in the
/// enqueueing statement (whose commit PostgreSQL would serialize with every other notifier's).
@Suite struct JobAnnouncementTests {
  private let start = ContinuousClock.now
  private let spacing = Duration.milliseconds(10)

  @Test func theFirstAnnouncementNotifiesAtOnceAndOthersWaitForTheSpacing() {
    var schedule = AnnouncementSchedule(spacing: spacing)
    #expect(schedule.announced("q", at: start) == .notify(at: start))
    // Another queue has its own notifications.
    #expect(schedule.announced("r", at: start) == .notify(at: start))
    #expect(schedule.announced("q", at: start) == .none)
    schedule.starting("q", at: start)
    #expect(schedule.finished("q", at: start + .milliseconds(1)) == .none)
    // Idle again, but the next start keeps the spacing.
    #expect(schedule.announced("q", at: start + .milliseconds(2)) == .notify(at: start + spacing))
    schedule.starting("q", at: start + spacing)
    #expect(schedule.finished("q", at: start + .milliseconds(11)) == .none)
    #expect(
      schedule.announced("q", at: start + .milliseconds(50))
        == .notify(at: start + .milliseconds(50)))
  }

  @Test func anAnnouncementDuringANotificationGetsOneMoreAfterIt() {
    var schedule = AnnouncementSchedule(spacing: spacing)
    _ = schedule.announced("q", at: start)
    schedule.starting("q", at: start)
    // The notification on its way may commit before these jobs did.
    #expect(schedule.announced("q", at: start + .milliseconds(1)) == .none)
    #expect(schedule.announced("q", at: start + .milliseconds(2)) == .none)
    #expect(schedule.finished("q", at: start + .milliseconds(3)) == .notify(at: start + spacing))
    // Until it starts, it covers later announcements too.
    #expect(schedule.announced("q", at: start + .milliseconds(4)) == .none)
    schedule.starting("q", at: start + spacing)
    #expect(schedule.finished("q", at: start + .milliseconds(12)) == .none)
  }

  @Test func queuedJobsWakeAWorkerElsewhereWithFewNotifications() async throws {
    try await withJobsPool { pool in
      try await pool.query("CREATE TABLE effects (id int8 PRIMARY KEY)")
      // The enqueueing process has no worker; the worker runs elsewhere, with no dispatcher,
      // and sweeps too rarely to matter.
      let dispatcher = JobDispatcher(announcementSpacing: .seconds(2))
      let ran = Tally()
      var configuration = JobWorker.Configuration()
      configuration.sweepInterval = .seconds(300)
      let worker = JobWorker(
        pool: pool, configuration: configuration, handlers: ["effect": { _ in ran.add() }],
        logger: JobsTestDatabase.logger)
      try await whileRunning([worker]) {
        try await eventually("the claim loop to be idle") {
          worker.counters.sweeps.load(ordering: .relaxed) >= 1 && worker.wake.isWaiting
        }
        let notifications = worker.counters.notifications.load(ordering: .relaxed)
        let jobs = 20
        for number in 1...jobs {
          try await JobQueue.enqueue(
            [NewJob(kind: "effect")],
            along: "INSERT INTO effects VALUES (\(Int64(number))) RETURNING id", pool: pool,
            dispatcher: dispatcher)
        }
        try await eventually("every job ran") { ran.count == jobs }
        // One notification at once, one after the spacing for the jobs committed meanwhile
        // (a third if the enqueues outlasted it); a NOTIFY per statement would be 20.
        let heard = worker.counters.notifications.load(ordering: .relaxed) - notifications
        #expect((1...3).contains(heard), "\(heard) notifications for \(jobs) jobs")
      }
    }
  }

  @Test func aWorkerIgnoresTheEchoOfItsOwnDispatchersAnnouncement() async throws {
    try await withJobsPool { pool in
      try await pool.query("CREATE TABLE effects (id int8 PRIMARY KEY)")
      let dispatcher = JobDispatcher()
      let gate = ReadinessFlag()
      // Full while its one handler waits, so the next job is queued and announced.
      let local = JobDispatcherTests.worker(pool, dispatcher, concurrency: 1) { _ in
        await gate.wait()
      }
      var configuration = JobWorker.Configuration()
      configuration.sweepInterval = .seconds(300)
      // Elsewhere: it hears the announcement, and runs nothing.
      let elsewhere = JobWorker(
        pool: pool, configuration: configuration, handlers: ["other": { _ in }],
        logger: JobsTestDatabase.logger)
      try await whileRunning([local, elsewhere]) {
        defer { gate.raise() }
        try await eventually("both claim loops to be idle") { local.isIdle && elsewhere.isIdle }
        for number in 1...2 {
          try await JobQueue.enqueue(
            [NewJob(kind: "effect")],
            along: "INSERT INTO effects VALUES (\(Int64(number))) RETURNING id", pool: pool,
            dispatcher: dispatcher)
        }
        try await eventually("the announcement reached the other worker") {
          elsewhere.counters.notifications.load(ordering: .acquiring) >= 1
        }
        let heard = local.counters.notifications.load(ordering: .acquiring)
        // A notification of no dispatcher, sent after the announcement: the local worker
        // hears it after the echo, so counting it means the echo was handled.
        try await pool.query("SELECT pg_notify('wirebank_jobs', 'default')")
        try await eventually("the local worker heard the later notification") {
          local.counters.notifications.load(ordering: .acquiring) > heard
        }
        #expect(local.counters.notifications.load(ordering: .acquiring) == 1)
      }
    }
  }
}
