extension PostgresPool {
  /// The pool's bookkeeping without I/O: each method is an event and returns what to do.
  ///
  /// Connections are counted as idle, leased or being opened; their sum never exceeds
  /// `maxConnections`. Idle connections form a stack, so the busiest stay warm and the rest age
  /// out after `idleTimeout`. Waiters are served first come, first served.
  struct StateMachine<Connection: AnyObject & Sendable>: Sendable {
    /// What a lease request or a waiter receives.
    enum Grant: Sendable {
      /// An idle connection, with the instant it became idle (for the health check).
      case connection(Connection, idleSince: ContinuousClock.Instant)
      /// A free slot: the receiver opens a connection itself.
      case connect
    }

    /// What a lease request leads to.
    enum LeaseDecision: Sendable {
      case granted(Grant)
      case wait
      case closed
    }

    /// Effects to carry out after an event.
    struct Actions: Sendable {
      var grants: [(waiter: Int, grant: Grant)] = []
      var connectionsToClose: [Connection] = []
      var waitersToFail: [Int] = []
      var shutdownFinished = false
    }

    private enum Phase { case running, closing, closed }

    private var phase = Phase.running
    private var idle: [(connection: Connection, since: ContinuousClock.Instant)] = []
    private var waiters: [Int] = []
    private(set) var leased = 0
    private(set) var connecting = 0
    let maxConnections: Int
    let idleTimeout: Duration

    init(maxConnections: Int, idleTimeout: Duration) {
      self.maxConnections = max(1, maxConnections)
      self.idleTimeout = idleTimeout
    }

    var idleCount: Int { idle.count }
    var waiterCount: Int { waiters.count }
    var isRunning: Bool { phase == .running }

    /// A task asks for a connection; `waiter` identifies it should it have to wait.
    mutating func leaseRequested(waiter: Int, now: ContinuousClock.Instant) -> LeaseDecision {
      guard phase == .running else { return .closed }
      if let next = idle.popLast() {
        leased += 1
        return .granted(.connection(next.connection, idleSince: next.since))
      }
      if leased + connecting < maxConnections {
        connecting += 1
        return .granted(.connect)
      }
      waiters.append(waiter)
      return .wait
    }

    /// A waiter gave up (timed out or cancelled); true if it was still waiting.
    mutating func waiterLeft(_ waiter: Int) -> Bool {
      guard let index = waiters.firstIndex(of: waiter) else { return false }
      waiters.remove(at: index)
      return true
    }

    /// A connection opened for a `.connect` grant: kept, or (when the pool closed meanwhile)
    /// rejected, with the effects of that.
    mutating func connectSucceeded() -> Actions? {
      connecting -= 1
      guard phase == .running else {
        var actions = Actions()
        finishShutdownIfDone(into: &actions)
        return actions
      }
      leased += 1
      return nil
    }

    /// Opening a connection failed: the slot passes to the next waiter, if any.
    mutating func connectFailed() -> Actions {
      connecting -= 1
      var actions = Actions()
      grantFreeSlot(into: &actions)
      finishShutdownIfDone(into: &actions)
      return actions
    }

    /// A leased connection came back; `reusable` says whether it may be handed out again.
    mutating func released(_ connection: Connection, reusable: Bool, now: ContinuousClock.Instant)
      -> Actions
    {
      leased -= 1
      var actions = Actions()
      guard phase == .running else {
        actions.connectionsToClose.append(connection)
        finishShutdownIfDone(into: &actions)
        return actions
      }
      if !reusable {
        actions.connectionsToClose.append(connection)
        grantFreeSlot(into: &actions)
      } else if !waiters.isEmpty {
        leased += 1
        actions.grants.append((waiters.removeFirst(), .connection(connection, idleSince: now)))
      } else {
        idle.append((connection, now))
      }
      closeExpiredIdle(now: now, into: &actions)
      return actions
    }

    /// The pool is closing: idle connections close, waiters fail, leased ones close on return.
    mutating func closeRequested() -> Actions {
      var actions = Actions()
      guard phase == .running else { return actions }
      phase = .closing
      actions.connectionsToClose = idle.map(\.connection)
      idle.removeAll()
      actions.waitersToFail = waiters
      waiters.removeAll()
      finishShutdownIfDone(into: &actions)
      return actions
    }

    private mutating func grantFreeSlot(into actions: inout Actions) {
      guard phase == .running, !waiters.isEmpty, leased + connecting < maxConnections else {
        return
      }
      connecting += 1
      actions.grants.append((waiters.removeFirst(), .connect))
    }

    private mutating func closeExpiredIdle(
      now: ContinuousClock.Instant, into actions: inout Actions
    ) {
      while let oldest = idle.first, now - oldest.since > idleTimeout {
        actions.connectionsToClose.append(oldest.connection)
        idle.removeFirst()
      }
    }

    private mutating func finishShutdownIfDone(into actions: inout Actions) {
      if phase == .closing && leased == 0 && connecting == 0 {
        phase = .closed
        actions.shutdownFinished = true
      }
    }
  }
}
