/// gRPC metadata: an ordered multimap of lowercase ASCII keys to text or binary values.
///
/// Keys follow gRPC's rules (`[0-9a-z_.-]`, not starting with the reserved `grpc-`); keys ending
/// in `-bin` hold bytes, all others hold printable ASCII text. Base64 for `-bin` values is the
/// transport's business: here they are plain bytes. Order is kept, and a key may repeat.
public struct Metadata: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral,
  CustomStringConvertible
{
  /// A metadata value: text for ordinary keys, bytes for `-bin` keys.
  public enum Value: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// A text value of printable ASCII.
    case string(String)
    /// A binary value (the key ends in `-bin`).
    case binary([UInt8])

    /// A text value from a literal.
    public init(stringLiteral value: String) {
      self = .string(value)
    }

    /// The text, or nil for a binary value.
    public var stringValue: String? {
      if case .string(let text) = self { return text }
      return nil
    }

    /// The bytes, or nil for a text value.
    public var binaryValue: [UInt8]? {
      if case .binary(let bytes) = self { return bytes }
      return nil
    }

    /// The text, or the number of bytes of a binary value (never the bytes themselves).
    public var description: String {
      switch self {
      case .string(let text): return text
      case .binary(let bytes): return "<\(bytes.count) bytes>"
      }
    }
  }

  /// One key with one of its values.
  public struct Entry: Sendable, Hashable {
    /// The lowercase key.
    public let key: String
    /// The value.
    public let value: Value
  }

  private var entries: [Entry] = []

  /// Empty metadata.
  public init() {}

  /// Metadata from literal pairs, in order.
  ///
  /// Literals are written by programmers, so an invalid key or value stops the program with a
  /// message naming it; use `add` for keys or values that come from outside.
  public init(dictionaryLiteral elements: (String, Value)...) {
    for (key, value) in elements {
      do {
        try add(key, value)
      } catch {
        preconditionFailure("invalid metadata literal: \(error)")
      }
    }
  }

  /// The position of the first entry.
  public var startIndex: Int { entries.startIndex }

  /// The position after the last entry.
  public var endIndex: Int { entries.endIndex }

  /// The entry at `position`.
  public subscript(position: Int) -> Entry { entries[position] }

  /// The first value of `key`, or nil when the key is absent (keys match case-insensitively).
  public subscript(key: String) -> Value? {
    let key = Metadata.normalized(key)
    return entries.first { $0.key == key }?.value
  }

  /// The first value of `key` if it is text.
  public subscript(string key: String) -> String? {
    self[key]?.stringValue
  }

  /// The first value of `key` if it is binary.
  public subscript(binary key: String) -> [UInt8]? {
    self[key]?.binaryValue
  }

  /// Every value of `key`, in order.
  public func values(forKey key: String) -> [Value] {
    let key = Metadata.normalized(key)
    return entries.filter { $0.key == key }.map(\.value)
  }

  /// Whether `key` has at least one value.
  public func contains(_ key: String) -> Bool {
    self[key] != nil
  }

  /// Appends a value for `key`, after any values it already has.
  /// - Throws: `MetadataError` when the key or value breaks gRPC's rules.
  public mutating func add(_ key: String, _ value: Value) throws(MetadataError) {
    let key = Metadata.normalized(key)
    try Metadata.validate(key: key, value: value)
    entries.append(Entry(key: key, value: value))
  }

  /// Appends a text value for `key`.
  /// - Throws: `MetadataError` when the key or value breaks gRPC's rules.
  public mutating func add(_ key: String, _ value: String) throws(MetadataError) {
    try add(key, .string(value))
  }

  /// Appends a binary value for `key`, which must end in `-bin`.
  /// - Throws: `MetadataError` when the key breaks gRPC's rules.
  public mutating func add(_ key: String, bytes: [UInt8]) throws(MetadataError) {
    try add(key, .binary(bytes))
  }

  /// Replaces every value of `key` with `value`, kept where the first old value was.
  /// - Throws: `MetadataError` when the key or value breaks gRPC's rules.
  public mutating func replace(_ key: String, _ value: Value) throws(MetadataError) {
    let key = Metadata.normalized(key)
    try Metadata.validate(key: key, value: value)
    let entry = Entry(key: key, value: value)
    guard let first = entries.firstIndex(where: { $0.key == key }) else {
      entries.append(entry)
      return
    }
    var kept: [Entry] = []
    for (index, candidate) in entries.enumerated() {
      if index == first {
        kept.append(entry)
      } else if candidate.key != key {
        kept.append(candidate)
      }
    }
    entries = kept
  }

  /// Replaces every value of `key` with the text `value`.
  /// - Throws: `MetadataError` when the key or value breaks gRPC's rules.
  public mutating func replace(_ key: String, _ value: String) throws(MetadataError) {
    try replace(key, .string(value))
  }

  /// Removes every value of `key`.
  /// - Returns: how many entries were removed.
  @discardableResult
  public mutating func remove(_ key: String) -> Int {
    let key = Metadata.normalized(key)
    let before = entries.count
    entries.removeAll { $0.key == key }
    return before - entries.count
  }

  /// Appends all of `other`'s entries (already valid) after this metadata's.
  public mutating func append(contentsOf other: Metadata) {
    entries.append(contentsOf: other.entries)
  }

  /// `[key: value, …]`, with binary values shown by size only.
  public var description: String {
    "[" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
  }
}
