#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// A type that can be an element of a one-dimensional `PostgresArray`.
public protocol PostgresArrayElement: PostgresEncodable, PostgresDecodable {
  /// The array type whose elements are of this type (for example `int8[]` for `Int64`).
  static var postgresArrayType: PostgresDataType { get }

  /// Appends `elements` in binary array form (header, then each element with its length).
  ///
  /// Requirements, not only extension methods, so that `PostgresArray.encode` makes one dynamic
  /// call per array: the defaults below are then compiled for each conforming type, instead of
  /// running unspecialised (metadata and witness lookups for every element).
  static func appendArray(_ elements: [Self], to buffer: inout [UInt8]) throws
  /// Appends `elements`, where nil is NULL, in binary array form (what `[Self?]` binds as).
  static func appendArray(ofOptionals elements: [Self?], to buffer: inout [UInt8]) throws
}

extension PostgresArrayElement {
  /// Appends `elements` in binary array form.
  public static func appendArray(_ elements: [Self], to buffer: inout [UInt8]) throws {
    try appendBinaryArray(elements, of: Self.self, to: &buffer) { $0 }
  }

  /// Appends `elements`, where nil is NULL, in binary array form.
  public static func appendArray(ofOptionals elements: [Self?], to buffer: inout [UInt8]) throws {
    try appendBinaryArray(elements, of: Self.self, to: &buffer) { $0 }
  }
}

/// Dimensions, flags, element type, bounds, then each element with its length; `value` gives
/// an element's value, nil for NULL. Inlined into each conformance's `appendArray`.
@inline(__always)
private func appendBinaryArray<Item, Element: PostgresEncodable>(
  _ elements: [Item], of type: Element.Type, to buffer: inout [UInt8],
  value: (Item) -> Element?
) throws {
  guard Element.postgresFormat == .binary, let count = Int32(exactly: elements.count) else {
    throw PostgresCodingFailure("array cannot be sent in binary form")
  }
  func present(_ item: Item) -> Element? {
    guard let element = value(item), !element.isPostgresNull else { return nil }
    return element
  }
  buffer.appendBigEndian(Int32(elements.isEmpty ? 0 : 1))
  buffer.appendBigEndian(Int32(elements.contains { present($0) == nil } ? 1 : 0))
  buffer.appendBigEndian(Element.postgresType.rawValue)
  if !elements.isEmpty {
    buffer.appendBigEndian(count)
    buffer.appendBigEndian(Int32(1))
  }
  for item in elements {
    guard let element = present(item) else {
      buffer.appendBigEndian(Int32(-1))
      continue
    }
    let lengthOffset = buffer.count
    buffer.appendBigEndian(Int32(0))
    try element.encode(into: &buffer)
    guard let length = Int32(exactly: buffer.count - lengthOffset - 4) else {
      throw PostgresCodingFailure("array element is too large")
    }
    withUnsafeBytes(of: length.bigEndian) { bytes in
      for index in 0..<4 { buffer[lengthOffset + index] = bytes[index] }
    }
  }
}

extension Int64: PostgresArrayElement {
  /// `int8[]`
  public static var postgresArrayType: PostgresDataType { .int8Array }
}
extension Int32: PostgresArrayElement {
  /// `int4[]`
  public static var postgresArrayType: PostgresDataType { .int4Array }
}
extension Int16: PostgresArrayElement {
  /// `int2[]`
  public static var postgresArrayType: PostgresDataType { .int2Array }
}
extension Bool: PostgresArrayElement {
  /// `bool[]`
  public static var postgresArrayType: PostgresDataType { .boolArray }
}
extension String: PostgresArrayElement {
  /// `text[]`
  public static var postgresArrayType: PostgresDataType { .textArray }
}
extension UUID: PostgresArrayElement {
  /// `uuid[]`
  public static var postgresArrayType: PostgresDataType { .uuidArray }
}
extension Date: PostgresArrayElement {
  /// `timestamptz[]`
  public static var postgresArrayType: PostgresDataType { .timestamptzArray }
}

extension Array: PostgresArrayElement where Element == UInt8 {
  /// `bytea[]`
  public static var postgresArrayType: PostgresDataType { .byteaArray }
}
extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement {
  /// The wrapped type's array type (its elements may then be NULL).
  public static var postgresArrayType: PostgresDataType { Wrapped.postgresArrayType }

  /// The wrapped type's array, nil elements as NULL (the loop compiled for `Wrapped`).
  public static func appendArray(_ elements: [Wrapped?], to buffer: inout [UInt8]) throws {
    try Wrapped.appendArray(ofOptionals: elements, to: &buffer)
  }
}

/// A one-dimensional PostgreSQL array, bound or decoded in binary form.
///
/// A wrapper rather than a conformance of `Array` itself, because `[UInt8]` already means `bytea`.
/// Typical use: `WHERE id = ANY(\(PostgresArray(ids)))` or `unnest(\(PostgresArray(kinds)))`.
/// Elements that are optionals may be NULL.
public struct PostgresArray<Element: PostgresArrayElement>: Sendable {
  /// The elements.
  public var elements: [Element]
  /// An array of the given elements.
  public init(_ elements: [Element]) { self.elements = elements }
}

extension PostgresArray: Equatable where Element: Equatable {}

extension PostgresArray: PostgresEncodable {
  /// The element's array type.
  public static var postgresType: PostgresDataType { Element.postgresArrayType }

  /// Dimensions, flags, element type, bounds, then each element with its length.
  public func encode(into buffer: inout [UInt8]) throws {
    try Element.appendArray(elements, to: &buffer)
  }
}

extension PostgresArray: PostgresDecodable {
  /// From a one-dimensional array of the element's type without NULLs.
  public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws
    -> PostgresArray<Element>
  {
    let dimensions = try bytes.readBigEndian(Int32.self, at: 0)
    let elementType = PostgresDataType(rawValue: try bytes.readBigEndian(UInt32.self, at: 8))
    if dimensions == 0 { return PostgresArray([]) }
    guard dimensions == 1 else {
      throw PostgresCodingFailure("only one-dimensional arrays can be decoded")
    }
    let count = Int(try bytes.readBigEndian(Int32.self, at: 12))
    guard count >= 0 else { throw PostgresCodingFailure("malformed array") }
    var elements: [Element] = []
    elements.reserveCapacity(count)
    var offset = 20
    for _ in 0..<count {
      let length = Int(try bytes.readBigEndian(Int32.self, at: offset))
      offset += 4
      if length < 0 {
        elements.append(try Element.decodeNull())
        continue
      }
      guard length <= bytes.count - offset else { throw PostgresCodingFailure("malformed array") }
      let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
      elements.append(try Element.decode(from: slice, type: elementType))
      offset += length
    }
    return PostgresArray(elements)
  }
}
