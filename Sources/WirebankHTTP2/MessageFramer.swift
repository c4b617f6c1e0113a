import NIOCore
import WirebankRPC

/// Writes gRPC length-prefixed messages: flag byte, 4-byte big-endian length, body.
enum MessageFramer {
  /// Appends `message` to `buffer`, compressed with `compressor` when the message asks for it
  /// and the call negotiated compression.
  /// - Returns: whether the message went out compressed.
  @discardableResult
  static func frame(
    _ message: RawMessage, compressor: GzipCompressor?, into buffer: inout ByteBuffer
  ) -> Bool {
    if message.compressed, let compressor, let deflated = compressor.compress(message.bytes) {
      writeFrame(flag: 1, body: deflated, into: &buffer)
      return true
    }
    writeFrame(flag: 0, body: message.bytes, into: &buffer)
    return false
  }

  /// `message` framed into a new array (for tests and small clients).
  static func framed(_ message: RawMessage, compressor: GzipCompressor? = nil) -> [UInt8] {
    var buffer = ByteBuffer()
    frame(message, compressor: compressor, into: &buffer)
    return Array(buffer.readableBytesView)
  }

  private static func writeFrame(flag: UInt8, body: [UInt8], into buffer: inout ByteBuffer) {
    buffer.reserveCapacity(minimumWritableBytes: 5 + body.count)
    buffer.writeInteger(flag)
    buffer.writeInteger(UInt32(truncatingIfNeeded: body.count))
    buffer.writeBytes(body)
  }
}
