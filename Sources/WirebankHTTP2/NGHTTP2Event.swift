/// What an nghttp2 callback reported, queued by the session wrapper and acted on after
/// `nghttp2_session_mem_recv` or `nghttp2_session_mem_send` has returned.
enum NGHTTP2Event {
  /// A complete header block (HEADERS plus any CONTINUATION) for `streamID`.
  ///
  /// `fields` indexes `NGHTTP2Session.headerBlock(_:)`. `oversized` means the block was larger
  /// than the advertised SETTINGS_MAX_HEADER_LIST_SIZE and its fields were dropped.
  case headers(streamID: Int32, fields: Range<Int>, endStream: Bool, oversized: Bool)
  /// A chunk of DATA payload; the bytes point into the input buffer given to `receive` and
  /// are valid only until that buffer is released.
  case data(streamID: Int32, bytes: UnsafeRawBufferPointer)
  /// A DATA frame with END_STREAM: the peer finished sending on `streamID`.
  case endStream(streamID: Int32)
  /// The stream is closed (normally, or reset by either side with `errorCode`).
  case streamClosed(streamID: Int32, errorCode: UInt32)
  /// The peer sent GOAWAY: no stream above `lastStreamID` will be processed.
  case goAway(lastStreamID: Int32, errorCode: UInt32)
  /// The peer acknowledged our PING carrying `opaque` (which tells our PINGs apart).
  case pingAcknowledged(opaque: UInt64)
  /// The peer's SETTINGS arrived (and were applied).
  case remoteSettingsChanged
  /// Our data provider sent the last byte of a body that ends with trailers: submit them now.
  case bodyDrained(streamID: Int32)
  /// A frame of ours with END_STREAM (HEADERS or DATA) went out on `streamID`.
  case endStreamSent(streamID: Int32)
}

extension NGHTTP2Session {
  /// Hands every queued event to `handle`, in order, and empties the queue.
  ///
  /// Handling an event may submit frames but never feeds or drains the session, so callbacks
  /// cannot add events meanwhile; still, the queue is indexed rather than iterated, in case it
  /// grows.
  func drainEvents(_ handle: (NGHTTP2Event) -> Void) {
    var index = 0
    while index < events.count {
      let event = events[index]
      index += 1
      handle(event)
    }
    events.removeAll(keepingCapacity: true)
  }
}

/// The HTTP/2 settings one side of a connection advertises.
public struct HTTP2Settings: Sendable, Hashable {
  /// SETTINGS_MAX_CONCURRENT_STREAMS: how many streams the peer may open at once.
  public var maxConcurrentStreams: UInt32
  /// SETTINGS_INITIAL_WINDOW_SIZE: each stream's receive window, in bytes.
  public var initialWindowSize: UInt32
  /// The connection's receive window, in bytes (sent as a WINDOW_UPDATE on stream 0).
  public var connectionWindowSize: UInt32
  /// SETTINGS_MAX_FRAME_SIZE: the largest frame payload the peer may send.
  public var maxFrameSize: UInt32
  /// SETTINGS_MAX_HEADER_LIST_SIZE: the largest header block accepted (RFC 9113 size rule).
  public var maxHeaderListSize: UInt32

  /// Settings with the given values; the defaults suit a gRPC server.
  public init(
    maxConcurrentStreams: UInt32 = 100, initialWindowSize: UInt32 = 256 * 1024,
    connectionWindowSize: UInt32 = 4 * 1024 * 1024, maxFrameSize: UInt32 = 16_384,
    maxHeaderListSize: UInt32 = 16 * 1024
  ) {
    self.maxConcurrentStreams = maxConcurrentStreams
    self.initialWindowSize = initialWindowSize
    self.connectionWindowSize = connectionWindowSize
    self.maxFrameSize = maxFrameSize
    self.maxHeaderListSize = maxHeaderListSize
  }
}

/// A failure of the nghttp2 session as a whole (the connection must close).
struct NGHTTP2Error: Error, CustomStringConvertible {
  /// nghttp2's error code (negative).
  let code: Int
  /// The library's name for it.
  var description: String {
    String(cString: nghttp2_strerror(Int32(truncatingIfNeeded: code)))
  }
}

import CNghttp2
