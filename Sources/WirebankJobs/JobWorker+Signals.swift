import Logging
import Synchronization
import WirebankPostgres

/// Wakes one waiting task; a wake with no one waiting is kept for the next wait.
final class WakeSignal: Sendable {
  private let state = Mutex<(pending: Bool, waiter: CheckedContinuation<Void, Never>?)>(
    (false, nil))

  func signal() {
    let waiter = state.withLock { state in
      guard let waiter = state.waiter else {
        state.pending = true
        return nil as CheckedContinuation<Void, Never>?
      }
      state.waiter = nil
      return waiter
    }
    waiter?.resume()
  }

  /// Forgets a signal given while no one waited.
  func clearPending() {
    state.withLock { $0.pending = false }
  }

  /// Whether a task is waiting (no signal is pending): the claim loop is idle.
  var isWaiting: Bool { state.withLock { $0.waiter != nil } }

  /// Returns once signalled, after `timeout`, or when the task is cancelled.
  func wait(timeout: Duration) async {
    let timer = Task { [weak self] in
      try await Task.sleep(for: timeout)
      self?.signal()
    }
    defer { timer.cancel() }
    await wait()
  }

  /// Returns once signalled or when the task is cancelled (no timer: for frequent waits).
  func wait() async {
    await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        let resumeNow = state.withLock { state in
          if state.pending || Task.isCancelled {
            state.pending = false
            return true
          }
          state.waiter = continuation
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      signal()
    }
  }
}

/// A flag that tasks can wait to see raised (the worker's "listening" state).
final class ReadinessFlag: Sendable {
  private let state = Mutex<(raised: Bool, waiters: [CheckedContinuation<Void, Never>])>(
    (false, []))

  func raise() {
    let waiters = state.withLock { state in
      state.raised = true
      defer { state.waiters = [] }
      return state.waiters
    }
    waiters.forEach { $0.resume() }
  }

  var isRaised: Bool { state.withLock { $0.raised } }

  func wait() async {
    await withCheckedContinuation { continuation in
      let raised = state.withLock { state in
        if !state.raised { state.waiters.append(continuation) }
        return state.raised
      }
      if raised { continuation.resume() }
    }
  }
}

/// Collects finished attempts and marks them succeeded in batches: one statement (and one
/// commit) for all the jobs that finished while the previous batch was being written.
final class CompletionBatcher: Sendable {
  private let pending = Mutex<[(id: Int64, attempt: Int32)]>([])
  /// Completion statements written, for tests.
  let statements = Atomic<Int>(0)
  /// Writes that failed (their completions are written again), for tests.
  let failedWrites = Atomic<Int>(0)
  private let signal = WakeSignal()
  private let pool: PostgresPool
  private let delay: Duration
  private let logger: Logger

  init(pool: PostgresPool, delay: Duration = .zero, logger: Logger) {
    self.pool = pool
    self.delay = delay
    self.logger = logger
  }

  func add(id: Int64, attempt: Int32) {
    pending.withLock { $0.append((id, attempt)) }
    signal.signal()
  }

  /// Flushes until cancelled.
  func run() async {
    while !Task.isCancelled {
      // Every completion signals, and a stop ends the wait: no timer (see `claimLoop`), unless
      // a failed flush left completions to write again.
      if pending.withLock({ $0.isEmpty }) {
        await signal.wait()
      } else {
        await signal.wait(timeout: .seconds(1))
      }
      // Completions arriving meanwhile join this one; a stop ends the wait and flushes at once.
      if delay > .zero { try? await Task.sleep(for: delay) }
      await flush()
    }
  }

  /// Writes everything pending; on failure keeps it for the next flush.
  func flush() async {
    let batch = pending.withLock { pending in
      defer { pending.removeAll() }
      return pending
    }
    guard !batch.isEmpty else { return }
    do {
      try await JobClaims.complete(batch, pool: pool)
      statements.add(1, ordering: .relaxed)
    } catch {
      logger.warning(
        "cannot mark jobs succeeded; will retry",
        metadata: ["error": "\(error)", "jobs": "\(batch.count)"])
      pending.withLock { $0.insert(contentsOf: batch, at: 0) }
      failedWrites.add(1, ordering: .releasing)
    }
  }
}
