import Logging
import WirebankPostgres

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

extension JobWorker {
  /// Claims while there is room and work, then waits for a wake-up or the next due job.
  ///
  /// Wake-ups are `NOTIFY`s of new jobs, the dispatcher's word of jobs it queued, a handler
  /// finishing in a full worker, a failed job's retry time, and the sweep; those that arrive
  /// during a claim make one more claim in all. Claims start at least `claimSpacing` apart.
  func claimLoop(group: inout DiscardingTaskGroup) async {
    let kinds = handlers.keys.sorted()
    var failures = 0
    var lastClaim: ContinuousClock.Instant?
    while !Task.isCancelled {
      var pause = configuration.sweepInterval
      do {
        while !Task.isCancelled {
          if let lastClaim, configuration.claimSpacing > .zero {
            try await Task.sleep(until: lastClaim + configuration.claimSpacing)
          }
          // Jobs dispatched while the claim runs may take some of its room too: the worker
          // then runs a few more than `concurrency` for a moment. Reserving the room instead
          // would send every job enqueued meanwhile through the queue, and their notifications
          // would keep the worker claiming rather than dispatching.
          let room = inFlight.withLock { inFlight in
            configuration.concurrency - inFlight.count - reservedSlots.load(ordering: .relaxed)
          }
          // A full worker is woken by the next handler that finishes.
          guard room > 0 else { break }
          let limit = min(room, configuration.claimBatchSize)
          // Wake-ups so far announce jobs this claim sees: they need no claim of their own.
          wake.clearPending()
          lastClaim = .now
          counters.claims.add(1, ordering: .relaxed)
          let claimed = try await JobClaims.claim(
            queue: configuration.queue, kinds: kinds, limit: limit, lease: configuration.lease,
            worker: configuration.workerID, pool: pool)
          inFlight.withLock { inFlight in
            for job in claimed.jobs { inFlight[job.id] = Int32(job.attempt) }
          }
          if claimed.rescued > 0 || claimed.declaredDead > 0 {
            logger.warning(
              "jobs of a lost worker rescued",
              metadata: ["rescued": "\(claimed.rescued)", "dead": "\(claimed.declaredDead)"])
          }
          for job in claimed.jobs { group.addTask { await self.execute(job) } }
          // The queue is drained when the claim took fewer than it could, or when nothing it
          // left is due: a full claim that took every due job needs no second claim, and new
          // jobs can be dispatched at once again.
          let drained =
            claimed.jobs.count + claimed.declaredDead < limit || claimed.nextDue != .zero
          if drained {
            backlog.store(false, ordering: .relaxed)
            if let next = claimed.nextDue {
              // Rows another worker is claiming right now look due: do not spin on them.
              pause = min(pause, max(next, .milliseconds(10)))
            }
            break
          }
        }
        failures = 0
      } catch {
        guard !Task.isCancelled else { break }
        failures += 1
        pause = Backoff(initial: .milliseconds(50), maximum: .seconds(5)).delay(
          forAttempt: failures)
        logger.warning(
          "cannot claim jobs; retrying", metadata: ["error": "\(error)", "attempt": "\(failures)"])
      }
      // The sweep wakes the loop at least every sweep interval, so only a shorter pause needs a
      // timer. A cancelled sleep keeps its timer until the time it was due: a timer per wait
      // would pile up thousands of them while a full worker is woken by every handler that ends.
      if pause < configuration.sweepInterval {
        await wake.wait(timeout: pause)
      } else {
        await wake.wait()
      }
    }
  }

  /// The fallback: wakes the claim loop, enqueues periodic jobs and purges old jobs.
  func sweep() async {
    var sweeps = 0
    while !Task.isCancelled {
      do {
        try await enqueueDuePeriodicJobs()
        if sweeps % 60 == 0 {
          _ = try await JobClaims.purgeSucceeded(olderThan: configuration.retention, pool: pool)
        }
      } catch {
        if Task.isCancelled { return }
        logger.warning("job sweep failed", metadata: ["error": "\(error)"])
      }
      sweeps += 1
      wake.signal()
      counters.sweeps.add(1, ordering: .relaxed)
      do {
        try await Task.sleep(for: timeUntilNextSweep())
      } catch {
        return
      }
    }
  }

  /// The sweep interval, or sooner when a periodic job's next period starts before it.
  private func timeUntilNextSweep() -> Duration {
    let now = clock.now()
    var pause = configuration.sweepInterval
    for job in periodicJobs {
      let next = job.periodStart(containing: now).addingTimeInterval(
        Double(job.period.components.seconds))
      let seconds = max(0.001, next.timeIntervalSince(now) + 0.01)
      pause = min(pause, .milliseconds(Int64(seconds * 1000)))
    }
    return pause
  }

  /// Renews the leases of running jobs every third of the lease.
  func renewLeases() async {
    while !Task.isCancelled {
      do {
        try await Task.sleep(for: configuration.lease / 3)
      } catch {
        return
      }
      let held = inFlight.withLock { $0.map { (id: $0.key, attempt: $0.value) } }
      do {
        try await JobClaims.extendLeases(held, lease: configuration.lease, pool: pool)
      } catch {
        logger.warning("cannot renew job leases", metadata: ["error": "\(error)"])
      }
    }
  }
}
