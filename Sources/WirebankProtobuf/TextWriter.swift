import FoundationEssentials

/// Writes the canonical text dump of a message: the readable `debugDescription` of every
/// generated message and the form the wire-compat tests compare with Python's.
///
/// One field a line, `name: value`, in field-number order; fields at their proto3 default are
/// left out (unless they have presence); nested messages as `name {` … `}`; repeated fields one
/// line per element; map entries sorted by key as `name { key: … value: … }`. Strings are quoted
/// with `\"`, `\\` and `\xHH` for control bytes; bytes likewise, with every non-printable byte as
/// `\xHH`; floating-point values as Swift's shortest round-trip `Double` description.
public struct TextWriter: Sendable {
  /// The text written so far.
  public private(set) var output = ""
  private var indent = ""

  /// An empty writer.
  public init() {}

  private mutating func line(_ name: StaticString, _ value: String) {
    output += "\(indent)\(name): \(value)\n"
  }

  /// Writes an integer field.
  public mutating func field(_ name: StaticString, _ value: some BinaryInteger) {
    line(name, "\(value)")
  }

  /// Writes a boolean field.
  public mutating func field(_ name: StaticString, _ value: Bool) {
    line(name, value ? "true" : "false")
  }

  /// Writes a `double` field.
  public mutating func field(_ name: StaticString, _ value: Double) {
    line(name, value.description)
  }

  /// Writes a `float` field (widened to `Double`, so both sides print the same digits).
  public mutating func field(_ name: StaticString, _ value: Float) {
    line(name, Double(value).description)
  }

  /// Writes a `string` field.
  public mutating func field(_ name: StaticString, _ value: String) {
    line(name, TextWriter.quoted(Array(value.utf8), keepUTF8: true))
  }

  /// Writes a `bytes` field.
  public mutating func field(_ name: StaticString, _ value: Data) {
    line(name, TextWriter.quoted(Array(value), keepUTF8: false))
  }

  /// Writes an enum field: its name when known, else its number.
  public mutating func field<E: ProtobufEnum>(_ name: StaticString, _ value: E) {
    line(name, value.protoName ?? "\(value.rawValue)")
  }

  /// Writes a nested message field.
  public mutating func field<M: ProtobufMessage>(_ name: StaticString, _ value: M) {
    output += "\(indent)\(name) {\n"
    let outer = indent
    indent += "  "
    value.writeText(to: &self)
    indent = outer
    output += "\(indent)}\n"
  }

  /// Writes one map entry; the caller iterates keys in sorted order.
  public mutating func mapEntry(
    _ name: StaticString, _ body: (inout TextWriter) -> Void
  ) {
    output += "\(indent)\(name) {\n"
    let outer = indent
    indent += "  "
    body(&self)
    indent = outer
    output += "\(indent)}\n"
  }

  /// Writes unknown fields, if any, as their raw bytes.
  public mutating func unknownFields(_ fields: UnknownFields) {
    if fields.bytes.isEmpty { return }
    line("[unknown]", TextWriter.quoted(fields.bytes, keepUTF8: false))
  }

  static func quoted(_ bytes: [UInt8], keepUTF8: Bool) -> String {
    var result = [UInt8]()
    result.reserveCapacity(bytes.count + 2)
    result.append(UInt8(ascii: "\""))
    let hex = Array("0123456789abcdef".utf8)
    for byte in bytes {
      switch byte {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"):
        result += [UInt8(ascii: "\\"), byte]
      case 0x20..<0x7f:
        result.append(byte)
      case 0x80...0xff where keepUTF8:
        result.append(byte)
      default:
        result += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
      }
    }
    result.append(UInt8(ascii: "\""))
    return String(decoding: result, as: UTF8.self)
  }
}
