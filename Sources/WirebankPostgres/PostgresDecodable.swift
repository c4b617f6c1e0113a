#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// A Swift type a result column can be decoded as (results always arrive in binary form).
public protocol PostgresDecodable: Sendable {
  /// Decodes a non-NULL value of the column type `type` from its binary form.
  /// - Throws: `PostgresCodingFailure` when the type does not fit or the bytes are malformed.
  static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Self
  /// The value for SQL NULL; throws unless the type is an optional.
  static func decodeNull() throws -> Self
}

extension PostgresDecodable {
  /// Throws: only optionals accept NULL.
  public static func decodeNull() throws -> Self {
    throw PostgresCodingFailure("unexpected NULL (decode as an optional)")
  }

  static func mismatch(_ type: PostgresDataType) -> PostgresCodingFailure {
    PostgresCodingFailure("a \(type) column cannot be decoded as \(Self.self)")
  }
}

extension UnsafeRawBufferPointer {
  /// Reads a big-endian integer of exactly the buffer's width.
  func readBigEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int = 0) throws -> T {
    guard offset >= 0, count - offset >= MemoryLayout<T>.size else {
      throw PostgresCodingFailure("malformed \(T.self) value: \(count) bytes")
    }
    return T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
  }
}

/// Integers accept columns of their own width or narrower, never wider ones.
extension Int64: PostgresDecodable {
  /// From `int8`, `int4` or `int2`.
  public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws
    -> Int64
  {
    switch type {
    case .int8: return try bytes.readBigEndian(Int64.self)
    case .int4: return Int64(try bytes.readBigEndian(Int32.self))
    case .int2: return Int64(try bytes.readBigEndian(Int16.self))
    default: throw mismatch(type)
    }
  }
}

extension Int: PostgresDecodable {
  /// From `int8`, `int4` or `int2`.
  public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws
    -> Int
  { Int(try Int64.decode(from: bytes, type: type)) }
}

extension Int32: PostgresDecodable {
  /// From `int4` or `int2`.
  public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws
    -> Int32
  {
    switch type {
    case .int4: return try bytes.readBigEndian(Int32.self)
    case .int2: return Int32(try bytes.readBigEndian(Int16.self))
    default: throw mismatch(type)
    }
  }
}

extension Int16: PostgresDecodable {
  /// From `int2`.
  public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws
    -> Int16
  {
    guard type == .int2 else { throw mismatch(type) }
    return try bytes.readBigEndian(Int16.self)
  }
}

extension Bool: PostgresDecodable {
  /// From `bool`.
  public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws
    -> Bool
  {
    guard type == .bool else { throw mismatch(type) }
    guard bytes.count == 1 else { throw PostgresCodingFailure("malformed bool value") }
    return bytes[0] != 0
  }
}

extension Double: PostgresDecodable {
  /// From `float8` or `float4`.
  public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws
    -> Double
  {
    switch type {
    case .float8: return Double(bitPattern: try bytes.readBigEndian(UInt64.self))
    case .float4: return Double(Float(bitPattern: try bytes.readBigEndian(UInt32.self)))
    default: throw mismatch(type)
    }
  }
}

extension String: PostgresDecodable {
  /// From text types (`text`, `varchar`, `bpchar`, `name`, `json`), `jsonb`, `numeric`
  /// (as a decimal string) and `uuid`.
  public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws
    -> String
  {
    switch type {
    case _ where PostgresDataType.textual.contains(type): return try utf8(bytes)
    case .jsonb:
      guard bytes.first == 1 else { throw PostgresCodingFailure("unknown jsonb version") }
      return try utf8(UnsafeRawBufferPointer(rebasing: bytes.dropFirst()))
    case .numeric: return try PostgresNumeric.decode(from: bytes, type: type).description
    case .uuid: return try UUID.decode(from: bytes, type: type).uuidString.lowercased()
    default: throw mismatch(type)
    }
  }

  private static func utf8(_ bytes: UnsafeRawBufferPointer) throws -> String {
    guard let text = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) else {
      throw PostgresCodingFailure("text is not valid UTF-8")
    }
    return text
  }
}

extension Array: PostgresDecodable where Element == UInt8 {
  /// From `bytea` (or any column, as its raw binary form).
  public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws
    -> [UInt8]
  { [UInt8](bytes) }
}

extension UUID: PostgresDecodable {
  /// From `uuid`.
  public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws
    -> UUID
  {
    guard type == .uuid else { throw mismatch(type) }
    guard bytes.count == 16 else { throw PostgresCodingFailure("malformed uuid value") }
    return UUID(
      uuid: UnsafeRawBufferPointer(rebasing: bytes[0..<16]).loadUnaligned(as: uuid_t.self))
  }
}

extension Date: PostgresDecodable {
  /// From `timestamptz` or `timestamp` (read as UTC); ±infinity become `distantFuture`/`Past`.
  public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws
    -> Date
  {
    guard type == .timestamptz || type == .timestamp else { throw mismatch(type) }
    let micros = try bytes.readBigEndian(Int64.self)
    if micros == .max { return .distantFuture }
    if micros == .min { return .distantPast }
    let seconds = Double(micros / 1_000_000) + Double(micros % 1_000_000) / 1_000_000
    return Date(timeIntervalSince1970: seconds + postgresEpoch)
  }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
  /// The wrapped type's decoding.
  public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws
    -> Wrapped?
  { try Wrapped.decode(from: bytes, type: type) }

  /// `nil`.
  public static func decodeNull() throws -> Wrapped? { nil }
}
