import NIOCore
import Testing
import WirebankRPC

@testable import WirebankHTTP2

/// A client and a server session wired back to back in memory: no sockets.
private struct SessionPair {
  let client = NGHTTP2Session(role: .client, settings: HTTP2Settings())
  let server = NGHTTP2Session(role: .server, settings: HTTP2Settings(maxHeaderListSize: 1024))
  var serverEvents: [NGHTTP2Event] = []
  var clientEvents: [NGHTTP2Event] = []
  var serverBlocks: [Int32: [(name: String, value: String)]] = [:]
  var clientBlocks: [[(name: String, value: String)]] = []
  var serverData: [Int32: [UInt8]] = [:]
  var clientData: [UInt8] = []

  init() {
    client.start()
    server.start()
  }

  /// Moves bytes both ways until neither side has anything to send.
  mutating func pump() throws {
    for _ in 0..<20 {
      var toServer = ByteBuffer()
      try client.send(into: &toServer)
      var toClient = ByteBuffer()
      try server.send(into: &toClient)
      serverEvents += drainSendEvents(server)
      clientEvents += drainSendEvents(client)
      if toServer.readableBytes == 0 && toClient.readableBytes == 0 { return }
      try toServer.withUnsafeReadableBytes { try server.receive($0) }
      for event in server.takeEvents() { record(serverSide: event) }
      try toClient.withUnsafeReadableBytes { try client.receive($0) }
      for event in client.takeEvents() { record(clientSide: event) }
    }
  }

  private func drainSendEvents(_ session: NGHTTP2Session) -> [NGHTTP2Event] {
    session.takeEvents()
  }

  private mutating func record(serverSide event: NGHTTP2Event) {
    switch event {
    case .headers(let streamID, let fields, _, _):
      serverBlocks[streamID] = server.headerBlock(fields).fields
    case .data(let streamID, let bytes):
      serverData[streamID, default: []] += Array(bytes)
      server.consumeConnection(bytes.count)
      server.consumeStream(streamID, bytes.count)
    default: break
    }
    if case .data = event { return }
    serverEvents.append(event)
  }

  private mutating func record(clientSide event: NGHTTP2Event) {
    switch event {
    case .headers(_, let fields, _, _):
      clientBlocks.append(client.headerBlock(fields).fields)
    case .data(let streamID, let bytes):
      clientData += Array(bytes)
      client.consumeConnection(bytes.count)
      client.consumeStream(streamID, bytes.count)
    default: break
    }
    if case .data = event { return }
    clientEvents.append(event)
  }
}

@Suite struct NGHTTP2SessionTests {
  @Test func requestResponseAndTrailersThroughTheDataProvider() throws {
    var pair = SessionPair()
    GRPCHeaders.request(
      path: "/a.B/C", authority: "x", timeout: nil, encoding: .identity, metadata: Metadata(),
      into: &pair.client.headers)
    let streamID = try #require(pair.client.submitRequest())
    pair.client.appendBody(streamID: streamID, complete: true) {
      MessageFramer.frame(RawMessage([1, 2, 3]), compressor: nil, into: &$0)
    }
    try pair.pump()
    #expect(pair.serverBlocks[streamID]?.first { $0.name == ":path" }?.value == "/a.B/C")
    #expect(pair.serverData[streamID] == MessageFramer.framed(RawMessage([1, 2, 3])))
    #expect(pair.serverEvents.contains { if case .endStream(streamID) = $0 { true } else { false } })

    // The response body is deferred until the server has something to send.
    GRPCHeaders.response(encoding: .identity, metadata: Metadata(), into: &pair.server.headers)
    #expect(pair.server.submitResponse(streamID: streamID, endStream: false))
    try pair.pump()
    #expect(pair.clientBlocks.count == 1)
    #expect(pair.clientData.isEmpty)
    pair.server.appendBody(streamID: streamID, complete: true) {
      MessageFramer.frame(RawMessage([9]), compressor: nil, into: &$0)
    }
    var toClient = ByteBuffer()
    try pair.server.send(into: &toClient)
    let drained = pair.server.takeEvents()
    #expect(drained.contains { if case .bodyDrained(streamID) = $0 { true } else { false } })
    GRPCHeaders.trailers(.ok, into: &pair.server.headers)
    pair.server.submitTrailers(streamID: streamID)
    try toClient.withUnsafeReadableBytes { try pair.client.receive($0) }
    _ = pair.client.takeEvents()
    try pair.pump()
    #expect(pair.clientBlocks.last?.first?.name == "grpc-status")
    #expect(pair.serverEvents.contains { if case .streamClosed(streamID, 0) = $0 { true } else { false } })
  }

  @Test func anOversizedHeaderBlockIsFlaggedNotStored() throws {
    var pair = SessionPair()
    pair.client.headers.add(":method", "POST")
    pair.client.headers.add(":scheme", "http")
    pair.client.headers.add(":path", "/a")
    pair.client.headers.add(":authority", "x")
    pair.client.headers.add("x-big", String(repeating: "a", count: 2000))
    let streamID = try #require(pair.client.submitRequest())
    try pair.pump()
    let oversized = pair.serverEvents.contains {
      if case .headers(streamID, let fields, _, true) = $0 { return fields.isEmpty || true }
      return false
    }
    #expect(oversized)
  }

  @Test func aResetReachesThePeerAsAClosedStream() throws {
    var pair = SessionPair()
    GRPCHeaders.request(
      path: "/a.B/C", authority: "x", timeout: nil, encoding: .identity, metadata: Metadata(),
      into: &pair.client.headers)
    let streamID = try #require(pair.client.submitRequest())
    try pair.pump()
    pair.client.resetStream(streamID, errorCode: HTTP2ErrorCode.cancel)
    try pair.pump()
    #expect(pair.serverEvents.contains {
      if case .streamClosed(streamID, HTTP2ErrorCode.cancel) = $0 { true } else { false }
    })
  }

  @Test func garbageInsteadOfThePrefaceFails() {
    let server = NGHTTP2Session(role: .server, settings: HTTP2Settings())
    server.start()
    let garbage = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
    #expect(throws: NGHTTP2Error.self) {
      try garbage.withUnsafeBytes { try server.receive($0) }
    }
  }
}
