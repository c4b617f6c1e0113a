@_exported import TestSupport
import Synchronization
import Testing
import WirebankProtobuf
import WirebankRPC

/// A `ServerCall` that replays scripted request messages and records what the handler sends.
final class ScriptedServerCall: ServerCall {
  let context: ServerContext
  private let state: Mutex<(requests: [RawMessage], sent: [RawMessage])>

  init(
    method: MethodDescriptor, requests: [RawMessage], metadata: Metadata = Metadata()
  ) {
    context = ServerContext(method: method, metadata: metadata, peer: "test")
    state = Mutex((requests, []))
  }

  convenience init(method: MethodDescriptor, messages: [TestMessage]) throws {
    try self.init(method: method, requests: messages.map { RawMessage(try $0.serializedBytes()) })
  }

  func receive() async throws -> RawMessage? {
    state.withLock { $0.requests.isEmpty ? nil : $0.requests.removeFirst() }
  }

  func send(_ message: RawMessage) async throws {
    state.withLock { $0.sent.append(message) }
  }

  /// What the handler sent.
  var sent: [RawMessage] { state.withLock { $0.sent } }

  /// What the handler sent, decoded.
  func sentMessages() throws -> [TestMessage] {
    try sent.map { try TestMessage(serializedBytes: $0.bytes) }
  }
}

/// The error `body` throws, as an `RPCError` (recording an issue if it throws none or another).
func rpcError(_ body: () async throws -> Void) async -> RPCError? {
  do {
    try await body()
    Issue.record("expected an RPCError, nothing was thrown")
  } catch let error as RPCError {
    return error
  } catch {
    Issue.record("expected an RPCError, got \(error)")
  }
  return nil
}
