import CZlib

/// Why a compressed message could not be inflated.
enum DecompressionError: Error, Equatable {
  /// The inflated message would be larger than the limit.
  case tooLarge
  /// The bytes are not a complete gzip stream.
  case corrupt
}

/// gzip (RFC 1952) for gRPC messages, one zlib stream reused across messages.
///
/// zlib keeps a pointer back to its `z_stream`, so the stream lives at a fixed address owned by
/// this object. Not thread-safe: each call stream (or connection) owns its own.
final class GzipCompressor {
  private let stream: UnsafeMutablePointer<z_stream>
  private let initialised: Bool

  /// A compressor at zlib's default level.
  init() {
    stream = .allocate(capacity: 1)
    stream.initialize(to: z_stream())
    // windowBits 15 + 16 asks zlib for a gzip wrapper rather than a zlib one.
    initialised =
      deflateInit2_(
        stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
        Int32(MemoryLayout<z_stream>.size)) == Z_OK
  }

  deinit {
    if initialised { deflateEnd(stream) }
    stream.deinitialize(count: 1)
    stream.deallocate()
  }

  /// `input` compressed as one gzip member, or nil if zlib failed (out of memory).
  func compress(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
    guard initialised, deflateReset(stream) == Z_OK else { return nil }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, UInt(input.count))) + 16)
    let result = output.withUnsafeMutableBytes { outputBuffer -> Int? in
      stream.pointee.next_in = UnsafeMutablePointer(
        mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
      stream.pointee.avail_in = uInt(input.count)
      stream.pointee.next_out = outputBuffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
      stream.pointee.avail_out = uInt(outputBuffer.count)
      defer {
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
      }
      guard deflate(stream, Z_FINISH) == Z_STREAM_END else { return nil }
      return outputBuffer.count - Int(stream.pointee.avail_out)
    }
    guard let result else { return nil }
    output.removeSubrange(result...)
    return output
  }

  /// `input` compressed as one gzip member, or nil if zlib failed.
  func compress(_ input: [UInt8]) -> [UInt8]? {
    input.withUnsafeBytes { compress($0) }
  }
}

/// Inflates gzip-compressed gRPC messages, refusing output past a limit.
final class GzipDecompressor {
  private let stream: UnsafeMutablePointer<z_stream>
  private let initialised: Bool

  /// A decompressor for gzip streams.
  init() {
    stream = .allocate(capacity: 1)
    stream.initialize(to: z_stream())
    initialised =
      inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK
  }

  deinit {
    if initialised { inflateEnd(stream) }
    stream.deinitialize(count: 1)
    stream.deallocate()
  }

  /// The bytes `input` inflates to.
  /// - Parameter limit: the largest output accepted.
  /// - Throws: `.tooLarge` past `limit`, `.corrupt` for input that is not one whole gzip member.
  func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws(DecompressionError)
    -> [UInt8]
  {
    guard initialised, inflateReset(stream) == Z_OK else { throw .corrupt }
    guard let base = input.baseAddress, !input.isEmpty else { throw .corrupt }
    stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
    stream.pointee.avail_in = uInt(input.count)
    defer {
      stream.pointee.next_in = nil
      stream.pointee.next_out = nil
    }
    var output: [UInt8] = []
    var chunk = min(max(input.count * 4, 256), limit + 1)
    while true {
      let start = output.count
      let room = min(chunk, limit + 1 - start)
      output.append(contentsOf: repeatElement(0, count: room))
      let status = output.withUnsafeMutableBytes { buffer -> Int32 in
        stream.pointee.next_out = (buffer.baseAddress! + start).assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(room)
        return inflate(stream, Z_NO_FLUSH)
      }
      let produced = room - Int(stream.pointee.avail_out)
      output.removeSubrange((start + produced)...)
      if output.count > limit { throw .tooLarge }
      switch status {
      case Z_STREAM_END:
        // Bytes after the gzip member are not part of a valid message.
        guard stream.pointee.avail_in == 0 else { throw .corrupt }
        return output
      case Z_OK:
        continue
      case Z_BUF_ERROR:
        // No progress possible: either the input ended early, or output room ran out.
        if stream.pointee.avail_in == 0 && produced == 0 { throw .corrupt }
        if produced == 0 { throw .corrupt }
      default:
        throw .corrupt
      }
      chunk = min(chunk * 2, 1 << 22)
    }
  }

  /// The bytes `input` inflates to (see the pointer variant).
  func decompress(_ input: [UInt8], limit: Int) throws(DecompressionError) -> [UInt8] {
    let result = input.withUnsafeBytes { buffer in
      Result { () throws(DecompressionError) -> [UInt8] in try decompress(buffer, limit: limit) }
    }
    return try result.get()
  }
}
