import CProtobufC

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A bump allocator that owns every C struct, string and array of one encode or decode.
///
/// protobuf-c allocates through it while unpacking, and generated code builds C messages in it
/// while packing; nothing is freed piecemeal: `reset()` drops it all at once. Allocations larger
/// than `largeAllocationThreshold` get their own `malloc` block so that `Data` can adopt them
/// without a copy (see `adoptLargeAllocation`). The hot state lives in a plain C-layout
/// `Cursor` so that allocating is pointer arithmetic, with no exclusivity checks or reference
/// counting.
public final class Arena {
  /// Allocations at least this large are made with `malloc`, one block each.
  public static let largeAllocationThreshold = 64 * 1024
  private static let initialChunkSize = 16 * 1024
  private static let maximumRetainedChunkSize = 1024 * 1024

  /// The bump pointer and flags, at a stable address.
  @usableFromInline
  struct Cursor {
    @usableFromInline var next: UnsafeMutableRawPointer
    @usableFromInline var end: UnsafeMutableRawPointer
    /// Something beyond the first chunk was allocated (or adopted) since the last reset.
    @usableFromInline var hasOverflow: Bool
    @usableFromInline var inUse: Bool
    /// A conversion fault was recorded (see `recordConversionFault`).
    @usableFromInline var hasFault: Bool
  }

  @usableFromInline let cursor: UnsafeMutablePointer<Cursor>
  private var chunk: UnsafeMutableRawPointer
  private var chunkSize: Int
  private var retiredChunks: [UnsafeMutableRawPointer] = []
  private var largeBlocks: [UnsafeMutableRawPointer] = []
  /// Values whose storage C structs point into until the next reset (large `bytes` fields).
  private var keptAlive: [AnyObject] = []
  private var fault: (code: ProtobufDecodingError.Code, field: String)?

  /// The allocator protobuf-c calls while unpacking; it lives as long as the arena.
  public let cAllocator: UnsafeMutablePointer<ProtobufCAllocator>

  /// Creates an empty arena.
  public init() {
    chunkSize = Arena.initialChunkSize
    chunk = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 16)
    cursor = .allocate(capacity: 1)
    cursor.initialize(
      to: Cursor(
        next: chunk, end: chunk + chunkSize, hasOverflow: false, inUse: false, hasFault: false))
    cAllocator = .allocate(capacity: 1)
    cAllocator.initialize(
      to: ProtobufCAllocator(alloc: arenaAlloc, free: arenaFree, allocator_data: nil))
    cAllocator.pointee.allocator_data = Unmanaged.passUnretained(self).toOpaque()
  }

  deinit {
    reset()
    chunk.deallocate()
    cursor.deallocate()
    cAllocator.deallocate()
  }

  /// Returns `byteCount` bytes aligned to 16, valid until `reset()`.
  @inlinable
  public func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
    let rounded = (byteCount + 15) & ~15
    let next = cursor.pointee.next
    if rounded <= cursor.pointee.end - next {
      cursor.pointee.next = next + rounded
      return next
    }
    return allocateSlow(rounded)
  }

  @usableFromInline
  func allocateSlow(_ rounded: Int) -> UnsafeMutableRawPointer {
    cursor.pointee.hasOverflow = true
    if rounded >= Arena.largeAllocationThreshold {
      let block = UnsafeMutableRawPointer(malloc(max(rounded, 1))!)
      largeBlocks.append(block)
      return block
    }
    retiredChunks.append(chunk)
    chunkSize = max(chunkSize * 2, rounded)
    chunk = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 16)
    cursor.pointee.next = chunk + rounded
    cursor.pointee.end = chunk + chunkSize
    return chunk
  }

  /// Takes ownership of a large block away from the arena; the caller must `free` it.
  ///
  /// Returns false when `pointer` is not the start of a large block of this arena.
  public func adoptLargeAllocation(_ pointer: UnsafeMutableRawPointer) -> Bool {
    guard let index = largeBlocks.lastIndex(of: pointer) else { return false }
    largeBlocks.remove(at: index)
    return true
  }

  /// Keeps `owner` alive until the next reset, because a C struct points into its storage.
  public func keepAlive(_ owner: AnyObject) {
    cursor.pointee.hasOverflow = true
    keptAlive.append(owner)
  }

  /// Records a fault found while converting C structs to Swift; decoding reports it after.
  public func recordConversionFault(_ code: ProtobufDecodingError.Code, field: String) {
    cursor.pointee.hasFault = true
    fault = (code, field)
  }

  /// The recorded conversion fault, if any.
  @usableFromInline
  var conversionFault: (code: ProtobufDecodingError.Code, field: String)? {
    cursor.pointee.hasFault ? fault : nil
  }

  /// Frees everything allocated since the last reset, keeping one chunk for reuse.
  @inlinable
  public func reset() {
    if cursor.pointee.hasOverflow || cursor.pointee.hasFault {
      resetSlow()
    }
    cursor.pointee.next = chunkStart
  }

  @usableFromInline
  var chunkStart: UnsafeMutableRawPointer { cursor.pointee.end - chunkSize }

  @usableFromInline
  func resetSlow() {
    for block in largeBlocks { free(block) }
    largeBlocks.removeAll(keepingCapacity: true)
    for retired in retiredChunks { retired.deallocate() }
    retiredChunks.removeAll(keepingCapacity: true)
    keptAlive.removeAll(keepingCapacity: true)
    if chunkSize > Arena.maximumRetainedChunkSize {
      chunk.deallocate()
      chunkSize = Arena.initialChunkSize
      chunk = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 16)
      cursor.pointee.end = chunk + chunkSize
    }
    fault = nil
    cursor.pointee.hasOverflow = false
    cursor.pointee.hasFault = false
  }
}

private func arenaAlloc(_ data: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
  guard let data else { return nil }
  return Unmanaged<Arena>.fromOpaque(data)._withUnsafeGuaranteedRef {
    $0.allocate(byteCount: size)
  }
}

private func arenaFree(_ data: UnsafeMutableRawPointer?, _ pointer: UnsafeMutableRawPointer?) {}

extension Arena {
  /// Runs `body` with this thread's arena, resetting it afterwards.
  ///
  /// A nested call on the same thread (an encode inside a decode, say) gets a fresh arena.
  @inlinable
  public static func withCurrent<Result, Failure: Error>(
    _ body: (Arena) throws(Failure) -> Result
  ) throws(Failure) -> Result {
    let arena = ThreadArena.current
    if arena.cursor.pointee.inUse {
      return try body(Arena())
    }
    arena.cursor.pointee.inUse = true
    defer {
      arena.reset()
      arena.cursor.pointee.inUse = false
    }
    return try body(arena)
  }
}
