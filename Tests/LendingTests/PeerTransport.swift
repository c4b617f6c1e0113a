import Synchronization
import WirebankRPC

/// A client transport to a peer that the test can break: take the peer down (calls fail with
/// UNAVAILABLE), hold calls of some methods until released, or lose the responses of some calls
/// after the peer handled them (the caller sees UNAVAILABLE). Targets are set after creation, so
/// services that call each other can be wired in any order.
final class PeerTransport: ClientTransport {
  private struct State {
    var target: (any ClientTransport)?
    var down = false
    var heldMethods: Set<String> = []
    var lostResponses: [String: Int] = [:]
    var calls: [String: Int] = [:]
    var waiting: [String: Int] = [:]
  }

  private let state = Mutex(State())

  /// Routes calls to `target` from now on.
  func connect(to target: any ClientTransport) { state.withLock { $0.target = target } }

  /// Makes every call fail with UNAVAILABLE (true) or go through again (false).
  func setDown(_ down: Bool) { state.withLock { $0.down = down } }

  /// Holds calls of `methods` (names such as "CreateAgreement") until `release`.
  func hold(_ methods: Set<String>) { state.withLock { $0.heldMethods.formUnion(methods) } }

  /// Lets held calls of `methods` (all when nil) go through.
  func release(_ methods: Set<String>? = nil) {
    state.withLock { state in
      if let methods { state.heldMethods.subtract(methods) } else { state.heldMethods = [] }
    }
  }

  /// The next `count` calls of `method` reach the peer, but their responses are lost.
  func loseResponses(of method: String, count: Int) {
    state.withLock { $0.lostResponses[method, default: 0] += count }
  }

  /// Calls of `method` started so far.
  func calls(_ method: String) -> Int { state.withLock { $0.calls[method, default: 0] } }

  /// Calls of `method` waiting at the hold right now.
  func waiting(_ method: String) -> Int { state.withLock { $0.waiting[method, default: 0] } }

  func withStream<Result: Sendable>(
    _ method: MethodDescriptor, options: CallOptions,
    _ body: @Sendable (any ClientStream) async throws -> Result
  ) async throws -> Result {
    let name = method.method
    let target = state.withLock { state -> (any ClientTransport)? in
      state.calls[name, default: 0] += 1
      return state.down ? nil : state.target
    }
    guard let target else { throw RPCError(.unavailable, "the peer is down (test)") }
    try await waitWhileHeld(name)
    let loseResponse = state.withLock { state in
      guard let left = state.lostResponses[name], left > 0 else { return false }
      state.lostResponses[name] = left - 1
      return true
    }
    let result = try await target.withStream(method, options: options, body)
    if loseResponse { throw RPCError(.unavailable, "the response was lost (test)") }
    return result
  }

  /// Polls the hold: calls wait (cancellably) while their method is held.
  private func waitWhileHeld(_ name: String) async throws {
    guard state.withLock({ $0.heldMethods.contains(name) }) else { return }
    state.withLock { $0.waiting[name, default: 0] += 1 }
    defer { state.withLock { $0.waiting[name, default: 0] -= 1 } }
    while state.withLock({ $0.heldMethods.contains(name) }) {
      try await Task.sleep(for: .milliseconds(2))
    }
  }
}
