import CNghttp2
import NIOCore

/// Request and response bodies on their way out: the caller appends bytes, nghttp2's data
/// provider takes them as flow control allows.
extension NGHTTP2Session {
  /// Appends body bytes for `streamID` and wakes its data provider.
  /// - Parameter complete: no more bytes will follow.
  /// - Returns: false when the stream has no body being sent (closed or finished).
  @discardableResult
  func appendBody(
    streamID: Int32, complete: Bool = false, _ write: (inout ByteBuffer) -> Void
  ) -> Bool {
    guard outbound[streamID] != nil else { return false }
    let deferred = outbound[streamID]!.isDeferred
    outbound[streamID]!.isDeferred = false
    write(&outbound[streamID]!.buffer)
    if complete { outbound[streamID]!.isComplete = true }
    if deferred { nghttp2_session_resume_data(session, streamID) }
    return true
  }

  /// Bytes of `streamID`'s body not yet handed to nghttp2.
  func bufferedBodyBytes(streamID: Int32) -> Int {
    outbound[streamID]?.buffer.readableBytes ?? 0
  }

  /// Copies body bytes for the data provider of `streamID`.
  func readBody(
    streamID: Int32, into destination: UnsafeMutableRawBufferPointer, flags: inout UInt32
  ) -> Int {
    guard outbound[streamID] != nil else {
      return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
    }
    let (count, ended, endsStream) = NGHTTP2Session.read(
      from: &outbound[streamID]!, into: destination)
    if ended {
      flags |= NGHTTP2_DATA_FLAG_EOF.rawValue
      outbound[streamID] = nil
      if !endsStream {
        flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
        events.append(.bodyDrained(streamID: streamID))
      }
      return count
    }
    if count == 0 {
      outbound[streamID]!.isDeferred = true
      return Int(NGHTTP2_ERR_DEFERRED.rawValue)
    }
    return count
  }

  private static func read(
    from body: inout OutboundBody, into destination: UnsafeMutableRawBufferPointer
  ) -> (count: Int, ended: Bool, endsStream: Bool) {
    let count = min(destination.count, body.buffer.readableBytes)
    if count > 0 {
      body.buffer.withUnsafeReadableBytes { source in
        destination.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: count)
      }
      body.buffer.moveReaderIndex(forwardBy: count)
      if body.buffer.readableBytes == 0 { body.buffer.clear() }
    }
    return (count, body.buffer.readableBytes == 0 && body.isComplete, body.endsStream)
  }
}
