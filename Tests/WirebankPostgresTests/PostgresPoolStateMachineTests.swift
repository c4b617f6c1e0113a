import Testing

@testable import WirebankPostgres

/// The pool's bookkeeping, without sockets.
@Suite struct PostgresPoolStateMachineTests {
  final class FakeConnection: Sendable {
    let id: Int
    init(_ id: Int) { self.id = id }
  }

  typealias Machine = PostgresPool.StateMachine<FakeConnection>
  let now = ContinuousClock.now

  func isConnect(_ decision: Machine.LeaseDecision) -> Bool {
    if case .granted(.connect) = decision { return true }
    return false
  }

  @Test func opensUpToTheLimitThenQueuesWaitersInOrder() {
    var machine = Machine(maxConnections: 2, idleTimeout: .seconds(60))
    #expect(isConnect(machine.leaseRequested(waiter: 1, now: now)))
    #expect(isConnect(machine.leaseRequested(waiter: 2, now: now)))
    guard case .wait = machine.leaseRequested(waiter: 3, now: now),
      case .wait = machine.leaseRequested(waiter: 4, now: now)
    else { Issue.record("expected waiting"); return }
    #expect(machine.connectSucceeded() == nil && machine.connectSucceeded() == nil)
    #expect(machine.leased == 2 && machine.waiterCount == 2)
    let first = FakeConnection(1)
    let actions = machine.released(first, reusable: true, now: now)
    #expect(actions.grants.count == 1 && actions.grants.first?.waiter == 3)
    guard case .connection(let handed, _)? = actions.grants.first?.grant else {
      Issue.record("expected a connection"); return
    }
    #expect(handed === first && machine.leased == 2 && machine.waiterCount == 1)
  }

  @Test func aBrokenConnectionFreesItsSlotForTheNextWaiter() {
    var machine = Machine(maxConnections: 1, idleTimeout: .seconds(60))
    _ = machine.leaseRequested(waiter: 1, now: now)
    _ = machine.connectSucceeded()
    _ = machine.leaseRequested(waiter: 2, now: now)
    let broken = FakeConnection(1)
    let actions = machine.released(broken, reusable: false, now: now)
    #expect(actions.connectionsToClose.count == 1 && actions.connectionsToClose.first === broken)
    guard case .connect? = actions.grants.first?.grant else {
      Issue.record("expected connect"); return
    }
    #expect(actions.grants.first?.waiter == 2 && machine.connecting == 1 && machine.leased == 0)
    let failed = machine.connectFailed()
    #expect(failed.grants.isEmpty && machine.connecting == 0)
  }

  @Test func idleConnectionsAgeOutAndTheNewestIsReusedFirst() {
    var machine = Machine(maxConnections: 3, idleTimeout: .seconds(10))
    let connections = (1...3).map(FakeConnection.init)
    for waiter in 1...3 { _ = machine.leaseRequested(waiter: waiter, now: now) }
    for _ in 1...3 { _ = machine.connectSucceeded() }
    _ = machine.released(connections[0], reusable: true, now: now)
    _ = machine.released(connections[1], reusable: true, now: now + .seconds(5))
    let late = machine.released(connections[2], reusable: true, now: now + .seconds(11))
    #expect(late.connectionsToClose.map(\.id) == [1])
    guard
      case .granted(.connection(let newest, _)) = machine.leaseRequested(
        waiter: 9, now: now + .seconds(12))
    else { Issue.record("expected an idle connection"); return }
    #expect(newest.id == 3 && machine.idleCount == 1)
  }

  @Test func closingFailsWaitersAndFinishesWhenTheLastLeaseReturns() {
    var machine = Machine(maxConnections: 1, idleTimeout: .seconds(60))
    _ = machine.leaseRequested(waiter: 1, now: now)
    _ = machine.connectSucceeded()
    _ = machine.leaseRequested(waiter: 2, now: now)
    let closing = machine.closeRequested()
    #expect(closing.waitersToFail == [2] && !closing.shutdownFinished)
    guard case .closed = machine.leaseRequested(waiter: 3, now: now) else {
      Issue.record("expected closed"); return
    }
    let done = machine.released(FakeConnection(1), reusable: true, now: now)
    #expect(done.connectionsToClose.count == 1 && done.shutdownFinished)
    #expect(machine.closeRequested().shutdownFinished == false)
  }

  @Test func aWaiterThatLeavesIsForgotten() {
    var machine = Machine(maxConnections: 1, idleTimeout: .seconds(60))
    _ = machine.leaseRequested(waiter: 1, now: now)
    _ = machine.leaseRequested(waiter: 2, now: now)
    #expect(machine.waiterLeft(2) && !machine.waiterLeft(2))
    #expect(machine.waiterCount == 0)
  }
}
