/// When `JobAnnouncer` notifies other processes of a queue's new jobs: at most one notification
/// per queue in flight, their starts at least `spacing` apart, and every announcement followed by
/// a notification that starts after it.
struct AnnouncementSchedule: Sendable {
  /// What to do after an event.
  enum Decision: Equatable, Sendable {
    /// Nothing: a notification still to start covers the announcement.
    case none
    /// Start a notification at this instant (or at once, if it has passed).
    case notify(at: ContinuousClock.Instant)
  }

  private enum Phase: Sendable {
    /// A notification is due and has not started.
    case scheduled
    /// A notification is on its way; `again` once an announcement came after it started.
    case sending(again: Bool)
  }

  /// The least time between the starts of two notifications of one queue.
  let spacing: Duration
  private var phases: [String: Phase] = [:]
  private var lastStarts: [String: ContinuousClock.Instant] = [:]

  /// A schedule with notifications of a queue at least `spacing` apart.
  init(spacing: Duration) {
    self.spacing = spacing
  }

  /// A statement that queued due jobs on `queue` committed before `now`.
  mutating func announced(_ queue: String, at now: ContinuousClock.Instant) -> Decision {
    switch phases[queue] {
    case .scheduled?:
      return .none
    case .sending?:
      // The notification on its way may have been committed before the jobs were.
      phases[queue] = .sending(again: true)
      return .none
    case nil:
      phases[queue] = .scheduled
      return .notify(at: nextStart(queue, now: now))
    }
  }

  /// The notification of `queue` starts at `now`.
  mutating func starting(_ queue: String, at now: ContinuousClock.Instant) {
    phases[queue] = .sending(again: false)
    lastStarts[queue] = now
  }

  /// The notification of `queue` ended at `now`, sent or not.
  mutating func finished(_ queue: String, at now: ContinuousClock.Instant) -> Decision {
    guard case .sending(let again)? = phases[queue] else { return .none }
    guard again else {
      phases[queue] = nil
      return .none
    }
    phases[queue] = .scheduled
    return .notify(at: nextStart(queue, now: now))
  }

  private func nextStart(_ queue: String, now: ContinuousClock.Instant)
    -> ContinuousClock.Instant
  {
    guard let last = lastStarts[queue] else { return now }
    return max(now, last + spacing)
  }
}
