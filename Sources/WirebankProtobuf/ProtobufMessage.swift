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
  /// Reads a value from a C struct produced by protobuf-c from validated input.
  init(cStruct: UnsafePointer<CStruct>, in arena: Arena)
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
      let cMessage = try arena.cMessage(self, bound: &bound)
      let packable = UnsafeRawPointer(cMessage).assumingMemoryBound(to: ProtobufCMessage.self)
      assert(protobuf_c_message_get_packed_size(packable) <= bound, "size bound too small")
      return [UInt8](unsafeUninitializedCapacity: max(bound, 1)) { buffer, count in
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
      let cMessage = try arena.cMessage(self, bound: &bound)
      let packable = UnsafeRawPointer(cMessage).assumingMemoryBound(to: ProtobufCMessage.self)
      let output = arena.allocate(byteCount: max(bound, 1)).assumingMemoryBound(to: UInt8.self)
      let count = protobuf_c_message_pack(packable, output)
      precondition(count <= max(bound, 1), "protobuf size bound overrun")
      return try body(UnsafeRawBufferPointer(start: output, count: count))
    }
  }

  /// Decodes a message from the Protobuf wire format.
  /// - Throws: `ProtobufDecodingError` naming the fault, its offset and field.
  @inlinable
  public init(
    serializedBytes bytes: some Collection<UInt8>, options: DecodingOptions = .default
  ) throws(ProtobufDecodingError) {
    // No `Result` or `Optional` here: getting a large message out of one copies it (a retain
    // per field); the decoded value is moved straight into `self`.
    self.init()
    var failure: ProtobufDecodingError?
    let wasContiguous: Void? = bytes.withContiguousStorageIfAvailable { buffer in
      do throws(ProtobufDecodingError) {
        self = try Self(serializedBuffer: UnsafeRawBufferPointer(buffer), options: options)
      } catch {
        failure = error
      }
    }
    if wasContiguous == nil {
      Array(bytes).withUnsafeBytes { buffer in
        do throws(ProtobufDecodingError) {
          self = try Self(serializedBuffer: buffer, options: options)
        } catch {
          failure = error
        }
      }
    }
    if let failure { throw failure }
  }

  /// Decodes a message from raw memory (for transports that own the buffer).
  @inlinable
  public init(
    serializedBuffer buffer: UnsafeRawBufferPointer, options: DecodingOptions = .default
  ) throws(ProtobufDecodingError) {
    if buffer.isEmpty {
      self.init()
      return
    }
    if try WireValidator.validate(buffer, as: Self.cDescriptor, options: options) {
      let merged = WireMerger.merge(buffer.assumingMemoryBound(to: UInt8.self), as: Self.cDescriptor)
      let result = merged.withUnsafeBytes { mergedBuffer in
        Result { () throws(ProtobufDecodingError) -> Self in
          try Self(validatedBuffer: mergedBuffer)
        }
      }
      self = try result.get()
    } else {
      self = try Self(validatedBuffer: buffer)
    }
  }

  /// Unpacks non-empty input that passed the validator and needs no merge.
  @inlinable
  init(validatedBuffer buffer: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
    self = try Arena.withCurrent { (arena) throws(ProtobufDecodingError) -> Self in
      let unpacked = protobuf_c_message_unpack(
        Self.cDescriptor, arena.cAllocator, buffer.count,
        buffer.baseAddress?.assumingMemoryBound(to: UInt8.self))
      guard let unpacked else {
        throw ProtobufDecodingError(
          code: .unpackFailed, offset: 0, fieldPath: "", messageName: Self.protoMessageName)
      }
      let value = Self(
        cStruct: UnsafeRawPointer(unpacked).assumingMemoryBound(to: CStruct.self), in: arena)
      if let fault = arena.conversionFault {
        throw ProtobufDecodingError(
          code: fault.code, offset: 0, fieldPath: fault.field, messageName: Self.protoMessageName)
      }
      return value
    }
  }

  public var debugDescription: String {
    var writer = TextWriter()
    writeText(to: &writer)
    return writer.output
  }

  /// The canonical text dump: one field a line in field-number order, maps sorted by key.
  public var textDump: String { debugDescription }
}
