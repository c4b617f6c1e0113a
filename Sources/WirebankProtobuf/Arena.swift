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
/// without a copy (see `adoptLargeAllocation`).
public final class Arena {
  /// Allocations at least this large are made with `malloc`, one block each.
  public static let largeAllocationThreshold = 64 * 1024
  private static let initialChunkSize = 16 * 1024
  private static let maximumRetainedChunkSize = 1024 * 1024

  private var chunk: UnsafeMutableRawPointer
  private var chunkSize: Int
  private var offset = 0
  private var retiredChunks: [UnsafeMutableRawPointer] = []
  private var largeBlocks: [UnsafeMutableRawPointer] = []
  fileprivate var inUse = false
  /// A fault found while converting unpacked C structs to Swift, reported after conversion.
  public var conversionFault: ProtobufDecodingError.Code?
  /// The field the conversion fault was found in.
  public var conversionFaultField = ""

  /// The allocator protobuf-c calls while unpacking; it lives as long as the arena.
  public let cAllocator: UnsafeMutablePointer<ProtobufCAllocator>

  /// Creates an empty arena.
  public init() {
    chunkSize = Arena.initialChunkSize
    chunk = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 16)
    cAllocator = .allocate(capacity: 1)
    cAllocator.initialize(
      to: ProtobufCAllocator(alloc: arenaAlloc, free: arenaFree, allocator_data: nil))
    cAllocator.pointee.allocator_data = Unmanaged.passUnretained(self).toOpaque()
  }

  deinit {
    reset()
    chunk.deallocate()
    cAllocator.deallocate()
  }

  /// Returns `byteCount` bytes aligned to 16, valid until `reset()`.
  @inlinable
  public func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
    let rounded = (byteCount + 15) & ~15
    if let pointer = bump(rounded) { return pointer }
    return allocateSlow(rounded)
  }

  @usableFromInline
  func bump(_ rounded: Int) -> UnsafeMutableRawPointer? {
    guard offset + rounded <= chunkSize else { return nil }
    let pointer = chunk + offset
    offset += rounded
    return pointer
  }

  @usableFromInline
  func allocateSlow(_ rounded: Int) -> UnsafeMutableRawPointer {
    if rounded >= Arena.largeAllocationThreshold {
      let block = UnsafeMutableRawPointer(malloc(max(rounded, 1))!)
      largeBlocks.append(block)
      return block
    }
    retiredChunks.append(chunk)
    chunkSize = max(chunkSize * 2, rounded)
    chunk = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 16)
    offset = rounded
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

  /// Frees everything allocated since the last reset, keeping one chunk for reuse.
  public func reset() {
    for block in largeBlocks { free(block) }
    largeBlocks.removeAll(keepingCapacity: true)
    for retired in retiredChunks { retired.deallocate() }
    retiredChunks.removeAll(keepingCapacity: true)
    if chunkSize > Arena.maximumRetainedChunkSize {
      chunk.deallocate()
      chunkSize = Arena.initialChunkSize
      chunk = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 16)
    }
    offset = 0
    conversionFault = nil
  }
}

private func arenaAlloc(_ data: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
  guard let data else { return nil }
  return Unmanaged<Arena>.fromOpaque(data).takeUnretainedValue().allocate(byteCount: size)
}

private func arenaFree(_ data: UnsafeMutableRawPointer?, _ pointer: UnsafeMutableRawPointer?) {}

extension Arena {
  /// Runs `body` with this thread's arena, resetting it afterwards.
  ///
  /// A nested call on the same thread (an encode inside a decode, say) gets a fresh arena.
  public static func withCurrent<Result, Failure: Error>(
    _ body: (Arena) throws(Failure) -> Result
  ) throws(Failure) -> Result {
    let arena = ThreadArena.current
    if arena.inUse {
      let nested = Arena()
      return try body(nested)
    }
    arena.inUse = true
    defer {
      arena.reset()
      arena.inUse = false
    }
    return try body(arena)
  }
}
