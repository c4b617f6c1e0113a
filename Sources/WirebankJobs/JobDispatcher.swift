import Synchronization
import WirebankPostgres

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// Starts the jobs a process enqueues on that process's own worker at once, and announces
/// the others once they are committed.
///
/// Such a job is inserted already claimed by the worker (running, under the worker's lease), so
/// it needs no `NOTIFY`, no claim statement and no wait for the claim loop: its handler starts
/// when the statement that enqueued it returns, committed. A job enqueued while the worker is
/// full, stopped or absent, while due jobs may be waiting in the queue (they go first), or for a
/// kind the worker does not run, is enqueued as usual. If the process dies first, the lease
/// ends and any worker rescues the job, as it does a claimed one.
///
/// A job enqueued as usual is announced after its statement returns: the local worker of its
/// queue is woken directly, and workers elsewhere by a `JobAnnouncer`'s notification (at most
/// one per queue per `announcementSpacing`), not by a `NOTIFY` in the statement (see
/// `JobAnnouncer` for why). Without a dispatcher, the statement notifies itself.
///
/// Create one, give it to the service that enqueues and to the `JobWorker` that runs the jobs
/// (the worker serves it while it runs).
public final class JobDispatcher: Sendable {
  private let worker = Mutex<JobWorker?>(nil)
  private let announcer: JobAnnouncer

  /// A dispatcher with no worker yet, whose notifications of a queue start at least
  /// `announcementSpacing` apart.
  public init(announcementSpacing: Duration = .milliseconds(10)) {
    announcer = JobAnnouncer(spacing: announcementSpacing, sender: UUID().uuidString)
  }

  /// Whether a notification came from this dispatcher's own announcer.
  func sent(_ sender: Substring?) -> Bool { sender.map { $0 == announcer.sender } ?? false }

  func attach(_ worker: JobWorker) { self.worker.withLock { $0 = worker } }

  func detach(_ worker: JobWorker) {
    self.worker.withLock { if $0 === worker { $0 = nil } }
  }

  /// A place on the worker for `jobs` when they are one job it can start now; nil otherwise.
  func reserve(_ jobs: [NewJob]) -> DispatchSlot? {
    guard jobs.count == 1, let job = jobs.first, job.runAt == nil,
      let worker = worker.withLock({ $0 }), worker.reserveSlot(for: job)
    else { return nil }
    return DispatchSlot(worker: worker, job: job)
  }

  /// Tells workers that due jobs of `queues` were committed through `pool`.
  func announce(_ queues: Set<String>, pool: PostgresPool) {
    if let worker = worker.withLock({ $0 }), queues.contains(worker.configuration.queue) {
      worker.noteQueuedJobs()
    }
    for queue in queues { announcer.announce(queue, pool: pool) }
  }
}

/// A place reserved on a worker for one job a statement is about to enqueue as running.
struct DispatchSlot: Sendable {
  let worker: JobWorker
  let job: NewJob

  /// The worker's name, which the job is locked by.
  var workerID: String { worker.configuration.workerID }
  /// The lease the job is inserted with.
  var lease: Duration { worker.configuration.lease }
}

/// How the jobs a statement enqueues start.
struct FollowUpStart: Sendable {
  /// The place reserved on the local worker for the statement's one job, which is then inserted
  /// running with no notification.
  var slot: DispatchSlot?
  /// Whether the statement notifies workers of the due jobs it queues itself; otherwise it
  /// counts them and the dispatcher announces them once it returns.
  var notifies: Bool
}

extension JobDispatcher {
  /// What a statement's last column says of the `jobs` it enqueued (the last column of its
  /// first row): the id of the job dispatched to the worker, or a count that is positive when
  /// it queued due jobs. Nil when there were no jobs to enqueue or no row.
  private static func followUps(in rows: PostgresRows?, of jobs: [NewJob]) throws -> Int64? {
    guard !jobs.isEmpty, let rows, let row = rows.first else { return nil }
    return try row.decode(Int64?.self, at: rows.columns.count - 1)
  }

  /// Runs `body`, which enqueues `jobs` in one autocommitted statement started as `body`'s
  /// argument says, and returns its result with the statement's rows, whose last column says
  /// what became of the jobs (`followUps(in:of:)`). A job dispatched then starts, with the
  /// payload `startingPayload` gives for the result, if any, instead of the stored one; queued
  /// due jobs are announced.
  static func dispatching<Result>(
    _ jobs: [NewJob], on dispatcher: JobDispatcher?, pool: PostgresPool,
    startingPayload: (Result) -> [UInt8]? = { _ in nil },
    _ body: (FollowUpStart) async throws -> (Result, rows: PostgresRows?)
  ) async throws -> Result {
    let slot = dispatcher?.reserve(jobs)
    do {
      let (result, rows) = try await body(FollowUpStart(slot: slot, notifies: dispatcher == nil))
      let outcome = try followUps(in: rows, of: jobs)
      if let slot {
        if let id = outcome {
          var job = slot.job
          if let payload = startingPayload(result) { job.payload = payload }
          slot.worker.start(job, id: id)
        } else {
          slot.worker.unreserveSlot()
        }
      } else if let dispatcher, let queued = outcome, queued > 0 {
        dispatcher.announce(Set(jobs.map(\.queue)), pool: pool)
      }
      return result
    } catch {
      slot?.worker.unreserveSlot()
      throw error
    }
  }
}

extension JobWorker {
  /// Reserves room for one job of this worker's queue that a statement will insert as running;
  /// false when the worker does not run `job`, is full, or may have due jobs waiting in the
  /// queue (which then run first: a job enqueued as usual queues behind them).
  func reserveSlot(for job: NewJob) -> Bool {
    guard job.queue == configuration.queue, handlers[job.kind] != nil,
      !backlog.load(ordering: .relaxed)
    else { return false }
    let reserved = inFlight.withLock { inFlight in
      guard inFlight.count + reservedSlots.load(ordering: .relaxed) < configuration.concurrency
      else { return false }
      reservedSlots.add(1, ordering: .relaxed)
      return true
    }
    if !reserved { backlog.store(true, ordering: .relaxed) }
    return reserved
  }

  /// Due jobs were queued for this worker rather than dispatched to it: they run before new
  /// ones, and the claim loop looks for them.
  func noteQueuedJobs() {
    backlog.store(true, ordering: .releasing)
    wake.signal()
  }

  /// Gives back a reserved place whose job was not enqueued.
  func unreserveSlot() {
    reservedSlots.subtract(1, ordering: .relaxed)
    wake.signal()
  }

  /// Starts `job`, inserted as running under this worker's lease with `id`, in the place
  /// reserved for it.
  func start(_ job: NewJob, id: Int64) {
    let claimed = Job(
      id: id, kind: job.kind, payload: job.payload, attempt: 1, maxAttempts: job.maxAttempts,
      uniqueKey: job.uniqueKey, createdAt: clock.now())
    inFlight.withLock { inFlight in
      inFlight[id] = 1
      reservedSlots.subtract(1, ordering: .relaxed)
    }
    let accepted = dispatched.withLock { queue in
      guard queue.isOpen else { return false }
      queue.jobs.append(claimed)
      return true
    }
    if accepted {
      dispatchWake.signal()
    } else {
      // The worker stopped: put the job back in the queue for any worker.
      Task { await release([claimed]) }
    }
  }

  /// Runs dispatched jobs until cancelled; those not started by then go back to the queue.
  func runDispatchedJobs() async {
    await withDiscardingTaskGroup { group in
      while !Task.isCancelled {
        let jobs = dispatched.withLock { queue in
          defer { queue.jobs.removeAll() }
          return queue.jobs
        }
        for job in jobs { group.addTask { await self.execute(job) } }
        await dispatchWake.wait()
      }
    }
    let left = dispatched.withLock { queue in
      queue.isOpen = false
      defer { queue.jobs.removeAll() }
      return queue.jobs
    }
    await release(left)
  }

  /// Puts jobs this worker holds but has not started back in the queue, without using an
  /// attempt.
  private func release(_ jobs: [Job]) async {
    for job in jobs {
      _ = inFlight.withLock { $0.removeValue(forKey: job.id) }
      // Runs even though the worker's task is cancelled.
      let pool = self.pool
      let outcome = await Task {
        try await JobClaims.release(
          id: job.id, attempt: Int32(job.attempt), started: false, pool: pool)
      }.result
      if case .failure(let error) = outcome {
        logger.warning(
          "cannot put a dispatched job back; its lease will end",
          metadata: ["job.id": "\(job.id)", "error": "\(error)"])
      }
    }
  }
}
