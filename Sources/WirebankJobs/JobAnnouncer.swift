import Logging
import Synchronization
import WirebankPostgres

/// Notifies workers in other processes of jobs this process queued, once the statements that
/// queued them committed: a `pg_notify` statement of its own per queue, coalesced by an
/// `AnnouncementSchedule`.
///
/// A `NOTIFY` inside the enqueueing statement would do it too, but PostgreSQL serializes the
/// commits of all transactions that notify, across the cluster, under one lock that is held
/// through the commit's WAL flush. While a worker has a backlog, every job for it is queued
/// rather than dispatched, so those commits ran one flush at a time and the backlog grew. A
/// statement that only notifies writes nothing that needs a flush, and few of them are sent.
final class JobAnnouncer: Sendable {
  private let state: Mutex<(schedule: AnnouncementSchedule, pool: PostgresPool?)>
  private let logger = Logger(label: "wirebank.jobs.announcer")
  /// Sent with each notification, so that the process's own worker, woken already, can tell
  /// its echo from other processes' news.
  let sender: String

  /// An announcer that notifies of a queue at most once per `spacing`, as `sender`.
  init(spacing: Duration, sender: String) {
    state = Mutex((AnnouncementSchedule(spacing: spacing), nil))
    self.sender = sender
  }

  /// Due jobs of `queue` were committed through `pool`.
  func announce(_ queue: String, pool: PostgresPool) {
    let decision = state.withLock { state in
      state.pool = pool
      return state.schedule.announced(queue, at: .now)
    }
    follow(decision, for: queue)
  }

  private func follow(_ decision: AnnouncementSchedule.Decision, for queue: String) {
    guard case .notify(let instant) = decision else { return }
    Task { await self.notify(queue, at: instant) }
  }

  private func notify(_ queue: String, at instant: ContinuousClock.Instant) async {
    if instant > .now { try? await Task.sleep(until: instant) }
    let pool = state.withLock { state in
      state.schedule.starting(queue, at: .now)
      return state.pool
    }
    do {
      try await pool?.query(
        "SELECT pg_notify(\(JobsSchema.notificationChannel), \(queue + "\u{1F}" + sender))")
    } catch {
      // Workers elsewhere find the jobs at their next claim or sweep.
      logger.debug(
        "cannot notify of queued jobs", metadata: ["queue": "\(queue)", "error": "\(error)"])
    }
    let next = state.withLock { $0.schedule.finished(queue, at: .now) }
    follow(next, for: queue)
  }
}
