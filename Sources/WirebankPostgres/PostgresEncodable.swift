#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// A Swift value that can be bound to a query parameter.
///
/// Conformers write their wire form; the query sends it with `postgresType`, so the server never
/// parses it as SQL. Built in: `Int`, `Int64`, `Int32`, `Int16`, `Bool`, `String`, `[UInt8]`
/// (bytea), `UUID`, `Date` (timestamptz), `PostgresNumeric`, `PostgresArray` and optionals.
public protocol PostgresEncodable: Sendable {
  /// The PostgreSQL type the value is sent as.
  static var postgresType: PostgresDataType { get }
  /// Whether `encode(into:)` writes the text or the binary form (binary unless overridden).
  static var postgresFormat: PostgresFormat { get }
  /// Whether the value is SQL NULL (only optionals say yes).
  var isPostgresNull: Bool { get }
  /// Appends the value's wire form to `buffer`.
  /// - Throws: `PostgresCodingFailure` when the value cannot be represented.
  func encode(into buffer: inout [UInt8]) throws
}

/// Why a value could not be encoded or decoded; the reason never contains the value.
public struct PostgresCodingFailure: Error, Sendable, CustomStringConvertible {
  /// What was wrong, without the value itself.
  public var reason: String
  /// A failure with the given reason.
  public init(_ reason: String) { self.reason = reason }
  /// The reason.
  public var description: String { reason }
}

extension PostgresEncodable {
  /// Binary, the default for conformers.
  public static var postgresFormat: PostgresFormat { .binary }
  /// Not NULL, the default for conformers.
  public var isPostgresNull: Bool { false }
}

extension Array where Element == UInt8 {
  @inline(__always) mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
    Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
  }
}

extension Int64: PostgresEncodable {
  /// `int8`
  public static var postgresType: PostgresDataType { .int8 }
  /// Eight bytes, big-endian.
  public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(self) }
}

extension Int: PostgresEncodable {
  /// `int8`
  public static var postgresType: PostgresDataType { .int8 }
  /// Eight bytes, big-endian.
  public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(Int64(self)) }
}

extension Int32: PostgresEncodable {
  /// `int4`
  public static var postgresType: PostgresDataType { .int4 }
  /// Four bytes, big-endian.
  public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(self) }
}

extension Int16: PostgresEncodable {
  /// `int2`
  public static var postgresType: PostgresDataType { .int2 }
  /// Two bytes, big-endian.
  public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(self) }
}

extension Bool: PostgresEncodable {
  /// `bool`
  public static var postgresType: PostgresDataType { .bool }
  /// One byte, 0 or 1.
  public func encode(into buffer: inout [UInt8]) { buffer.append(self ? 1 : 0) }
}

extension Double: PostgresEncodable {
  /// `float8`; for measurements, never for money.
  public static var postgresType: PostgresDataType { .float8 }
  /// The IEEE 754 bits, big-endian.
  public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(bitPattern) }
}

extension String: PostgresEncodable {
  /// `text`
  public static var postgresType: PostgresDataType { .text }
  /// The UTF-8 bytes.
  /// - Throws: `PostgresCodingFailure` for U+0000, which PostgreSQL text cannot hold.
  public func encode(into buffer: inout [UInt8]) throws {
    let utf8 = self.utf8
    if utf8.contains(0) {
      throw PostgresCodingFailure("text cannot contain U+0000 (NUL); bind the bytes as bytea")
    }
    buffer.append(contentsOf: utf8)
  }
}

extension Array: PostgresEncodable where Element == UInt8 {
  /// `bytea`
  public static var postgresType: PostgresDataType { .bytea }
  /// The bytes themselves.
  public func encode(into buffer: inout [UInt8]) { buffer.append(contentsOf: self) }
}

extension UUID: PostgresEncodable {
  /// `uuid`
  public static var postgresType: PostgresDataType { .uuid }
  /// The sixteen bytes.
  public func encode(into buffer: inout [UInt8]) {
    Swift.withUnsafeBytes(of: uuid) { buffer.append(contentsOf: $0) }
  }
}

extension Date: PostgresEncodable {
  /// `timestamptz`
  public static var postgresType: PostgresDataType { .timestamptz }
  /// Microseconds since 2000-01-01 00:00 UTC, the server's epoch.
  /// - Throws: `PostgresCodingFailure` for dates too far out to fit.
  public func encode(into buffer: inout [UInt8]) throws {
    let micros = ((timeIntervalSince1970 - Self.postgresEpoch) * 1_000_000).rounded()
    guard micros.isFinite, let value = Int64(exactly: micros) else {
      throw PostgresCodingFailure("date is out of the timestamptz range")
    }
    buffer.appendBigEndian(value)
  }

  /// 2000-01-01 00:00 UTC in seconds since 1970.
  static let postgresEpoch: TimeInterval = 946_684_800
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
  /// The wrapped type's.
  public static var postgresType: PostgresDataType { Wrapped.postgresType }
  /// The wrapped type's.
  public static var postgresFormat: PostgresFormat { Wrapped.postgresFormat }
  /// Whether this is `nil`.
  public var isPostgresNull: Bool { self == nil }
  /// The wrapped value's form; nothing for `nil` (sent as NULL).
  public func encode(into buffer: inout [UInt8]) throws { try self?.encode(into: &buffer) }
}
