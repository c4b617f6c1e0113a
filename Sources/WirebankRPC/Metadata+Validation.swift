/// Why a metadata key or value was refused.
public struct MetadataError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The kind of fault; a struct so that new kinds can be added without breaking callers.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    let name: String
    /// An empty key, or one with a character outside `[0-9a-z_.-]`.
    public static let invalidKey = Code(name: "invalid key")
    /// A key starting with `grpc-`, which gRPC reserves for itself.
    public static let reservedKey = Code(name: "reserved key")
    /// A text value with a character outside printable ASCII (0x20–0x7E).
    public static let invalidValue = Code(name: "invalid value")
    /// Bytes for a key without the `-bin` suffix, or text for a key with it.
    public static let valueKindMismatch = Code(name: "value kind does not match the key")
    /// The code's name.
    public var description: String { name }
  }

  /// What was wrong.
  public var code: Code
  /// The offending key, lowercased (keys are names chosen by programs, not data).
  public var key: String

  /// An error of `code` about `key`.
  public init(code: Code, key: String) {
    self.code = code
    self.key = key
  }

  /// `metadata key "x": reason`, never the value.
  public var description: String { "metadata key \"\(key)\": \(code)" }
}

extension Metadata {
  /// The suffix that marks a key whose values are binary.
  public static let binarySuffix = "-bin"

  /// The prefix gRPC reserves for its own headers (`grpc-status`, `grpc-timeout`, …).
  public static let reservedPrefix = "grpc-"

  /// The one reserved key applications set themselves: a serialized `google.rpc.Status` with
  /// error details, sent in trailers (`wirebank.common.v1.Status` has its wire layout).
  public static let statusDetailsKey = "grpc-status-details-bin"

  /// Whether values of `key` are binary (the key ends in `-bin`).
  public static func isBinaryKey(_ key: String) -> Bool {
    normalized(key).hasSuffix(binarySuffix)
  }

  /// Checks `key` against gRPC's key rules for user metadata.
  /// - Throws: `MetadataError` with `.invalidKey` or `.reservedKey`.
  public static func validate(key: String) throws(MetadataError) {
    let key = normalized(key)
    guard !key.isEmpty, key.utf8.allSatisfy(isKeyByte) else {
      throw MetadataError(code: .invalidKey, key: key)
    }
    guard !key.hasPrefix(reservedPrefix) || key == statusDetailsKey else {
      throw MetadataError(code: .reservedKey, key: key)
    }
  }

  /// Checks that `value` suits `key`: bytes for `-bin` keys, printable ASCII text otherwise.
  /// - Throws: `MetadataError` naming the key.
  public static func validate(key: String, value: Value) throws(MetadataError) {
    try validate(key: key)
    let key = normalized(key)
    switch value {
    case .string(let text):
      guard !key.hasSuffix(binarySuffix) else {
        throw MetadataError(code: .valueKindMismatch, key: key)
      }
      guard text.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
        throw MetadataError(code: .invalidValue, key: key)
      }
    case .binary:
      guard key.hasSuffix(binarySuffix) else {
        throw MetadataError(code: .valueKindMismatch, key: key)
      }
    }
  }

  /// `key` with ASCII capitals lowered: gRPC keys are case-insensitive and sent lowercase.
  static func normalized(_ key: String) -> String {
    guard key.utf8.contains(where: { (0x41...0x5A).contains($0) }) else { return key }
    let lowered = key.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
    return String(decoding: lowered, as: UTF8.self)
  }

  private static func isKeyByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"):
      return true
    case UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
      return true
    default:
      return false
    }
  }
}
