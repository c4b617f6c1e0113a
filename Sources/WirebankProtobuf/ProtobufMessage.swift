import CProtobufC

/// A Protobuf message: a Swift value type with a protobuf-c twin that packs and unpacks it.
///
/// Generated code conforms each contract message; the conversions to and from the C struct are
/// generated too, so this protocol's requirements are not meant to be called directly: use
/// `serializedBytes()` and `init(serializedBytes:)`.
public protocol ProtobufMessage: Sendable, Equatable, CustomDebugStringConvertible {
  /// The protobuf-c struct this message converts to.
  associatedtype CStruct
  /// protobuf-c's descriptor table of `CStruct`.
  static var cDescriptor: UnsafePointer<ProtobufCMessageDescriptor> { get }
  /// The message's full Protobuf name, as in `wirebank.common.v1.Money`.
  static var protoMessageName: String { get }
  /// A message with every field at its default.
  init()
  /// Fields read from the wire that this version of the contract does not know; re-emitted.
  var unknownFields: UnknownFields { get set }
  /// Writes this value into `target`, which the runtime initialised, allocating in `arena`.
  /// - Returns: an upper bound of the packed size of `target`.
  func writeCStruct(_ target: UnsafeMutablePointer<CStruct>, in arena: Arena) throws(
    ProtobufEncodingError) -> Int
  /// Sets the fields present in a C struct that protobuf-c unpacked from validated input.
  ///
  /// Called on a fresh `init()` value: fields absent from the struct keep their defaults. It
  /// mutates in place because an initializer returning the value copies the whole tree once
  /// per level (a retain and a release per field) with Swift 6.3's optimiser.
  mutating func read(cStruct: UnsafePointer<CStruct>, in arena: Arena)
  /// Writes the canonical text dump of the fields (see `TextWriter`).
  func writeText(to writer: inout TextWriter)
}

extension ProtobufMessage {
  /// Encodes the message in the Protobuf wire format.
  /// - Throws: `ProtobufEncodingError` when a string holds U+0000.
  @inlinable
  public func serializedBytes() throws(ProtobufEncodingError) -> [UInt8] {
    try Arena.withCurrent { (arena) throws(ProtobufEncodingError) -> [UInt8] in
      var bound = 0
      let packable = try packable(in: arena, bound: &bound)
      guard bound > Self.smallOutputLimit else {
        // Packed in the arena, then copied: `Array(buffer)` is specialised in the caller, while
        // `Array(unsafeUninitializedCapacity:)` looks up `_ContiguousArrayStorage<UInt8>` in
        // the runtime on every call (~370 instructions, more than packing a small message).
        return Array(Self.pack(packable, bound: bound, in: arena))
      }
      return [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
        count = protobuf_c_message_pack(packable, buffer.baseAddress!)
        // Cheap last line of defence in release builds: never go on after an overrun.
        precondition(count <= buffer.count, "protobuf size bound overrun")
      }
    }
  }

  /// Encodes the message and hands the bytes to `body` without copying them out of the arena.
  ///
  /// The buffer is valid only inside `body`; use it to write into a socket buffer.
  @inlinable
  public func withSerializedBytes<Result>(
    _ body: (UnsafeRawBufferPointer) throws -> Result
  ) throws -> Result {
    try Arena.withCurrent { arena in
      var bound = 0
      let packable = try packable(in: arena, bound: &bound)
      return try body(Self.pack(packable, bound: bound, in: arena))
    }
  }

  /// Encoded sizes up to which `serializedBytes()` packs into the arena and copies out.
  @inlinable
  static var smallOutputLimit: Int { 2048 }

  /// The message as a protobuf-c struct in `arena`, and an upper bound of its packed size.
  @inlinable
  func packable(in arena: Arena, bound: inout Int) throws(ProtobufEncodingError)
    -> UnsafePointer<ProtobufCMessage>
  {
    let cMessage = try arena.cMessage(self, bound: &bound)
    let packable = UnsafeRawPointer(cMessage).assumingMemoryBound(to: ProtobufCMessage.self)
    assert(protobuf_c_message_get_packed_size(packable) <= bound, "size bound too small")
    return packable
  }

  /// Packs `packable` into the arena; the bytes are valid until the arena's next reset.
  @inlinable
  static func pack(_ packable: UnsafePointer<ProtobufCMessage>, bound: Int, in arena: Arena)
    -> UnsafeRawBufferPointer
  {
    let output = arena.allocate(byteCount: max(bound, 1)).assumingMemoryBound(to: UInt8.self)
    let count = protobuf_c_message_pack(packable, output)
    // Cheap last line of defence in release builds: never go on after an overrun.
    precondition(count <= max(bound, 1), "protobuf size bound overrun")
    return UnsafeRawBufferPointer(start: output, count: count)
  }

  /// Decodes a message from the Protobuf wire format.
  /// - Throws: `ProtobufDecodingError` naming the fault, its offset and field.
  @inlinable
  public init(
    serializedBytes bytes: some Collection<UInt8>, options: DecodingOptions = .default
  ) throws(ProtobufDecodingError) {
    // The decoded value is built in place in `self`: returning it through closures, `Result`
    // or `Optional` copies the whole tree (a retain per field) and destroys the original.
    self.init()
    var failure: ProtobufDecodingError?
    let wasContiguous: Void? = bytes.withContiguousStorageIfAvailable { buffer in
      failure = decodeInPlace(from: UnsafeRawBufferPointer(buffer), options: options)
    }
    if wasContiguous == nil {
      Array(bytes).withUnsafeBytes { buffer in failure = decodeInPlace(from: buffer, options: options) }
    }
    if let failure { throw failure }
  }

  /// Decodes a message from raw memory (for transports that own the buffer).
  @inlinable
  public init(
    serializedBuffer buffer: UnsafeRawBufferPointer, options: DecodingOptions = .default
  ) throws(ProtobufDecodingError) {
    self.init()
    if let failure = decodeInPlace(from: buffer, options: options) { throw failure }
  }

  /// Replaces `self` with the message in `buffer`; returns the fault instead of throwing it.
  @inlinable
  mutating func decodeInPlace(
    from buffer: UnsafeRawBufferPointer, options: DecodingOptions
  ) -> ProtobufDecodingError? {
    if buffer.isEmpty { return nil }
    let needsMerge: Bool
    do {
      needsMerge = try WireValidator.validate(buffer, as: Self.cDescriptor, options: options)
    } catch {
      return error
    }
    guard needsMerge else { return unpackInPlace(validated: buffer) }
    let merged = WireMerger.merge(buffer.assumingMemoryBound(to: UInt8.self), as: Self.cDescriptor)
    return merged.withUnsafeBytes { unpackInPlace(validated: $0) }
  }

  /// Unpacks non-empty input that passed the validator and needs no merge into `self`.
  @inlinable
  mutating func unpackInPlace(validated buffer: UnsafeRawBufferPointer) -> ProtobufDecodingError? {
    Arena.withCurrent { arena in
      let unpacked = protobuf_c_message_unpack(
        Self.cDescriptor, arena.cAllocator, buffer.count,
        buffer.baseAddress?.assumingMemoryBound(to: UInt8.self))
      guard let unpacked else {
        return ProtobufDecodingError(
          code: .unpackFailed, offset: 0, fieldPath: "", messageName: Self.protoMessageName)
      }
      read(cStruct: UnsafeRawPointer(unpacked).assumingMemoryBound(to: CStruct.self), in: arena)
      if let fault = arena.conversionFault {
        return ProtobufDecodingError(
          code: fault.code, offset: 0, fieldPath: fault.field, messageName: Self.protoMessageName)
      }
      return nil
    }
  }

  /// A value read from a C struct that protobuf-c unpacked from validated input.
  @inlinable
  public init(cStruct: UnsafePointer<CStruct>, in arena: Arena) {
    self.init()
    read(cStruct: cStruct, in: arena)
  }

  public var debugDescription: String {
    var writer = TextWriter()
    writeText(to: &writer)
    return writer.output
  }

  /// The canonical text dump: one field a line in field-number order, maps sorted by key.
  public var textDump: String { debugDescription }
}
