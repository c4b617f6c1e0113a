import Testing
import WirebankRPC

@testable import WirebankHTTP2

@Suite struct MessageDeframerTests {
  private func frames(_ messages: [[UInt8]], compressor: GzipCompressor? = nil) -> [UInt8] {
    messages.flatMap {
      MessageFramer.framed(RawMessage($0, compressed: compressor != nil), compressor: compressor)
    }
  }

  private func deframe(
    _ chunks: [[UInt8]], limit: Int = 1024, decompressor: GzipDecompressor? = nil
  ) throws(MessageDeframer.Failure) -> [RawMessage] {
    var deframer = MessageDeframer(maximumMessageSize: limit, decompressor: decompressor)
    var received: [RawMessage] = []
    for chunk in chunks { try deframer.process(chunk) { received.append($0) } }
    try deframer.finish()
    return received
  }

  @Test func readsSeveralMessagesFromOneChunk() throws {
    let bytes = frames([[1, 2, 3], [], [4]])
    #expect(try deframe([bytes]).map(\.bytes) == [[1, 2, 3], [], [4]])
  }

  @Test func readsMessagesSplitAtEveryByte() throws {
    let bytes = frames([[1, 2, 3], [], Array(repeating: 7, count: 300)])
    let chunks = bytes.map { [$0] }
    let received = try deframe(chunks)
    #expect(received.map(\.bytes) == [[1, 2, 3], [], Array(repeating: 7, count: 300)])
    #expect(received.allSatisfy { !$0.compressed })
  }

  @Test(arguments: [1, 2, 5, 6, 7, 100])
  func readsMessagesSplitIntoChunksOf(size: Int) throws {
    let messages: [[UInt8]] = (0..<20).map { Array(repeating: UInt8($0), count: $0 * 13) }
    let bytes = frames(messages)
    let chunks = stride(from: 0, to: bytes.count, by: size).map {
      Array(bytes[$0..<min($0 + size, bytes.count)])
    }
    #expect(try deframe(chunks).map(\.bytes) == messages)
  }

  @Test func refusesALengthPastTheLimitBeforeBuffering() {
    let prefix: [UInt8] = [0, 0, 0, 4, 1]  // 1025 bytes announced
    #expect(throws: MessageDeframer.Failure.tooLarge(limit: 1024)) {
      try deframe([prefix])
    }
  }

  @Test func acceptsAMessageOfExactlyTheLimit() throws {
    #expect(try deframe([frames([Array(repeating: 0, count: 1024)])]).count == 1)
  }

  @Test func refusesTheCompressedFlagWithoutAnEncoding() {
    #expect(throws: MessageDeframer.Failure.compressedWithoutEncoding) {
      try deframe([[1, 0, 0, 0, 0]])
    }
  }

  @Test func refusesUnknownFlags() {
    #expect(throws: MessageDeframer.Failure.invalidFlag(2)) { try deframe([[2, 0, 0, 0, 0]]) }
  }

  @Test func reportsATruncatedStream() {
    #expect(throws: MessageDeframer.Failure.truncated) { try deframe([[0, 0, 0, 0, 9, 1, 2]]) }
    #expect(throws: MessageDeframer.Failure.truncated) { try deframe([[0, 0]]) }
  }

  @Test func inflatesGzipMessages() throws {
    let messages: [[UInt8]] = [Array(repeating: 0, count: 500), Array("hello".utf8)]
    let bytes = frames(messages, compressor: GzipCompressor())
    #expect(bytes.count < 200)
    let received = try deframe([bytes], decompressor: GzipDecompressor())
    #expect(received.map(\.bytes) == messages)
    #expect(received.allSatisfy { $0.compressed })
  }

  @Test func refusesCorruptGzip() {
    let body = Array("not gzip at all".utf8)
    let bytes: [UInt8] = [1, 0, 0, 0, UInt8(body.count)] + body
    #expect(throws: MessageDeframer.Failure.corruptCompressedMessage) {
      try deframe([bytes], decompressor: GzipDecompressor())
    }
  }

  @Test func refusesAGzipBombPastTheLimit() {
    let bytes = frames([Array(repeating: 0, count: 100_000)], compressor: GzipCompressor())
    #expect(bytes.count < 1024)
    #expect(throws: MessageDeframer.Failure.tooLarge(limit: 1024)) {
      try deframe([bytes], decompressor: GzipDecompressor())
    }
  }

  @Test func failuresMapToTheStatusesTheSpecNames() {
    #expect(MessageDeframer.Failure.tooLarge(limit: 4).status.code == .resourceExhausted)
    #expect(MessageDeframer.Failure.compressedWithoutEncoding.status.code == .internalError)
    #expect(MessageDeframer.Failure.corruptCompressedMessage.status.code == .internalError)
    #expect(MessageDeframer.Failure.truncated.status.code == .internalError)
  }
}

@Suite struct GzipTests {
  @Test func roundTripsAndReusesTheStreams() throws {
    let compressor = GzipCompressor()
    let decompressor = GzipDecompressor()
    for size in [0, 1, 1000, 300_000] {
      let input = (0..<size).map { UInt8(truncatingIfNeeded: $0 % 7) }
      let compressed = try #require(compressor.compress(input))
      #expect(try decompressor.decompress(compressed, limit: size) == input)
    }
  }

  @Test func refusesTrailingGarbageAndTruncation() throws {
    let compressed = try #require(GzipCompressor().compress(Array("hello".utf8)))
    let decompressor = GzipDecompressor()
    #expect(throws: DecompressionError.corrupt) {
      try decompressor.decompress(compressed + [1, 2, 3], limit: 100)
    }
    #expect(throws: DecompressionError.corrupt) {
      try decompressor.decompress(Array(compressed.dropLast(4)), limit: 100)
    }
  }
}

@Suite struct InboundMessageQueueTests {
  @Test func holdsTheWindowWhileMessagesWaitUnread() {
    var queue = InboundMessageQueue(maximumMessageSize: 1024)
    let first = MessageFramer.framed(RawMessage([1, 2, 3]))
    let action = first.withUnsafeBytes { queue.receivedData($0) }
    #expect(action == .consume(0))
    #expect(queue.heldBytes == first.count)
    let second = MessageFramer.framed(RawMessage([4]))
    _ = second.withUnsafeBytes { queue.receivedData($0) }
    #expect(queue.take() == .message(RawMessage([1, 2, 3]), consume: 0))
    #expect(queue.take() == .message(RawMessage([4]), consume: first.count + second.count))
    #expect(queue.take() == .wait)
    #expect(queue.receivedEnd() == .consume(0))
    #expect(queue.take() == .end)
  }

  @Test func consumesPartialMessagesAtOnce() {
    var queue = InboundMessageQueue(maximumMessageSize: 1024)
    let bytes = MessageFramer.framed(RawMessage(Array(repeating: 9, count: 100)))
    let head = Array(bytes.prefix(50))
    #expect(head.withUnsafeBytes { queue.receivedData($0) } == .consume(50))
    let tail = Array(bytes.dropFirst(50))
    #expect(tail.withUnsafeBytes { queue.receivedData($0) } == .consume(0))
    #expect(queue.take() == .message(RawMessage(Array(repeating: 9, count: 100)), consume: tail.count))
  }

  @Test func aBrokenStreamFailsTheReader() {
    var queue = InboundMessageQueue(maximumMessageSize: 4)
    let bytes = MessageFramer.framed(RawMessage([1, 2, 3, 4, 5]))
    guard case .fail(let status) = bytes.withUnsafeBytes({ queue.receivedData($0) }) else {
      Issue.record("expected a failure")
      return
    }
    #expect(status.code == .resourceExhausted)
    #expect(queue.take() == .failed(status))
  }

  @Test func truncationAtTheEndFails() {
    var queue = InboundMessageQueue(maximumMessageSize: 1024)
    _ = [UInt8]([0, 0, 0, 0, 10, 1]).withUnsafeBytes { queue.receivedData($0) }
    guard case .fail(let status) = queue.receivedEnd() else {
      Issue.record("expected a failure")
      return
    }
    #expect(status.code == .internalError)
  }
}
