/// Why bytes could not be decoded as a message: what was wrong, where, and in which field.
///
/// protobuf-c's `unpack` only says "NULL"; Wirebank validates the input first so that every
/// failure names its offset and field path.
public struct ProtobufDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The kind of fault; a struct so that new kinds can be added without breaking callers.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    let id: UInt8
    let name: StaticString
    /// The input ends inside a tag, a varint, a fixed value or a length-delimited field.
    public static let truncated = Code(id: 1, name: "truncated")
    /// A varint longer than 10 bytes.
    public static let malformedVarint = Code(id: 2, name: "malformed varint")
    /// Wire type 6 or 7, or a wire type that does not match the field's type.
    public static let invalidWireType = Code(id: 3, name: "invalid wire type")
    /// Wire types 3 and 4 (groups), which proto3 contracts never use.
    public static let groupNotSupported = Code(id: 4, name: "group not supported")
    /// Field number 0 or above 536,870,911.
    public static let invalidFieldNumber = Code(id: 5, name: "invalid field number")
    /// A `string` field that is not valid UTF-8.
    public static let invalidUTF8 = Code(id: 6, name: "invalid UTF-8")
    /// A `string` field containing U+0000, which protobuf-c's NUL-terminated strings cannot hold.
    public static let nulInString = Code(id: 7, name: "U+0000 in string")
    /// Messages nested deeper than the configured limit.
    public static let tooDeep = Code(id: 8, name: "nesting too deep")
    /// Input larger than the configured maximum message size.
    public static let tooLarge = Code(id: 9, name: "message too large")
    /// A packed repeated field whose payload is not a whole number of elements.
    public static let malformedPackedField = Code(id: 10, name: "malformed packed field")
    /// Two keys of a string-keyed map that differ in bytes but are equal as Swift `String`s
    /// (canonically equivalent Unicode); a `Dictionary` cannot keep both.
    public static let ambiguousMapKey = Code(id: 11, name: "canonically equivalent map keys")
    /// protobuf-c rejected input the validator accepted (should not happen; reported, not hidden).
    public static let unpackFailed = Code(id: 12, name: "unpack failed")
    public var description: String { "\(name)" }
    public static func == (lhs: Code, rhs: Code) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
  }

  /// What was wrong.
  public var code: Code
  /// Byte offset of the fault in the outermost input.
  public var offset: Int
  /// Dotted path of field names from the outermost message to the fault (empty at top level).
  public var fieldPath: String
  /// The full name of the message type being decoded.
  public var messageName: String

  public init(code: Code, offset: Int, fieldPath: String, messageName: String) {
    self.code = code
    self.offset = offset
    self.fieldPath = fieldPath
    self.messageName = messageName
  }

  public var description: String {
    let place = fieldPath.isEmpty ? "" : " in field \(fieldPath)"
    return "cannot decode \(messageName): \(code) at byte \(offset)\(place)"
  }
}

/// Why a value could not be encoded.
public struct ProtobufEncodingError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The kind of fault.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    let id: UInt8
    let name: StaticString
    /// A `string` holding U+0000: protobuf-c would cut it short silently, so Wirebank refuses.
    public static let nulInString = Code(id: 13, name: "U+0000 in string")
    public var description: String { "\(name)" }
    public static func == (lhs: Code, rhs: Code) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
  }

  /// What was wrong.
  public var code: Code
  /// The proto name of the field that could not be encoded.
  public var field: String

  public init(code: Code, field: String) {
    self.code = code
    self.field = field
  }

  public var description: String { "cannot encode field \(field): \(code)" }
}
