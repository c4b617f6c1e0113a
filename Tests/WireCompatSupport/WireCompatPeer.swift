import FoundationEssentials
import WirebankContracts
import WirebankProtobuf

/// The request/response logic of `wirecompat-peer`, the process the Python wire-compatibility
/// suite (`Tests/wirecompat`) talks to over stdin/stdout, one line per request and per answer.
///
/// Requests:
/// - `roundtrip <full.message.Name> <base64>`: decode with `init(serializedBytes:)`, re-encode
///   with `serializedBytes()`; answers `ok <base64 of re-encoded bytes> <base64 of UTF-8 textDump>`.
/// - `dump <full.message.Name> <base64>`: decode only; answers `ok <base64 of UTF-8 textDump>`.
/// - `list`: answers `ok <every message name the peer knows, sorted, separated by spaces>`.
/// - `limits <maximumDepth> <maximumMessageSize>`: decode later requests with these
///   `DecodingOptions` (`limits default` restores `.default`); answers `ok`.
/// - `quit`: no answer; the peer exits.
///
/// Failures answer `err <code> <description>`, where `<code>` is one token: the name of the
/// `ProtobufDecodingError.Code` / `ProtobufEncodingError.Code` constant (`truncated`,
/// `malformedVarint`, …), or `unknownType` / `badRequest` for requests the peer cannot serve.
/// The base64 payload may be empty (an empty message). Nothing here traps on any input.
public struct WireCompatPeer: Sendable {
  /// What the peer does with one request line.
  public enum Reply: Equatable, Sendable {
    /// Write this line (without its newline) and read the next request.
    case line(String)
    /// Stop: the client asked to quit.
    case quit
  }

  /// The message types the peer can decode, by full Protobuf name.
  public let registry: [String: any ProtobufMessage.Type]
  /// Limits used to decode every request; changed by the `limits` request.
  public private(set) var options: DecodingOptions

  /// A peer serving `registry` (every contract message by default).
  public init(
    registry: [String: any ProtobufMessage.Type] = MessageRegistry.byName,
    options: DecodingOptions = .default
  ) {
    self.registry = registry
    self.options = options
  }

  /// Answers one request line (a trailing `\r` or `\n` is ignored).
  public mutating func respond(to request: some StringProtocol) -> Reply {
    var text = Substring(request)
    while let last = text.last, last == "\n" || last == "\r" { text = text.dropLast() }
    let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
    guard let verb = parts.first else { return .line(Self.error("badRequest", "empty request")) }
    switch verb {
    case "quit":
      return .quit
    case "list":
      return .line("ok " + registry.keys.sorted().joined(separator: " "))
    case "limits":
      let arguments = parts.dropFirst().flatMap { $0.split(separator: " ") }
      if arguments == ["default"] {
        options = .default
        return .line("ok")
      }
      guard arguments.count == 2, let depth = Int(arguments[0]), let size = Int(arguments[1]),
        depth >= 0, size >= 0
      else {
        return .line(Self.error("badRequest", "limits needs <maximumDepth> <maximumMessageSize>"))
      }
      options = DecodingOptions(maximumMessageSize: size, maximumDepth: depth)
      return .line("ok")
    case "roundtrip", "dump":
      guard parts.count >= 2, !parts[1].isEmpty else {
        return .line(Self.error("badRequest", "\(verb) needs a message name"))
      }
      let name = String(parts[1])
      let payload = parts.count == 3 ? parts[2] : ""
      guard let type = registry[name] else {
        return .line(Self.error("unknownType", "no message named \(name)"))
      }
      guard let bytes = Self.decodeBase64(payload) else {
        return .line(Self.error("badRequest", "payload is not base64"))
      }
      return .line(Self.serve(type, bytes: bytes, roundTrip: verb == "roundtrip", options: options))
    default:
      return .line(Self.error("badRequest", "unknown request \(Self.oneLine(verb))"))
    }
  }

  /// Serves requests from `readLine` until it returns nil or a `quit` arrives, handing each
  /// answer to `writeLine`.
  public mutating func run(readLine: () -> String?, writeLine: (String) -> Void) {
    while let request = readLine() {
      switch respond(to: request) {
      case .quit: return
      case .line(let answer): writeLine(answer)
      }
    }
  }

  /// The one-token name of a decoding fault's code, as the `err` answer spells it.
  public static func codeName(_ code: ProtobufDecodingError.Code) -> String {
    let known: [(ProtobufDecodingError.Code, String)] = [
      (.truncated, "truncated"),
      (.malformedVarint, "malformedVarint"),
      (.invalidWireType, "invalidWireType"),
      (.groupNotSupported, "groupNotSupported"),
      (.invalidFieldNumber, "invalidFieldNumber"),
      (.invalidUTF8, "invalidUTF8"),
      (.nulInString, "nulInString"),
      (.tooDeep, "tooDeep"),
      (.tooLarge, "tooLarge"),
      (.malformedPackedField, "malformedPackedField"),
      (.unpackFailed, "unpackFailed"),
      (.ambiguousMapKey, "ambiguousMapKey"),
    ]
    for (candidate, name) in known where candidate == code { return name }
    return token(code.description)
  }

  /// The one-token name of an encoding fault's code.
  public static func codeName(_ code: ProtobufEncodingError.Code) -> String {
    if code == .nulInString { return "encodeNulInString" }
    return "encode_" + token(code.description)
  }

  // MARK: - Internals

  private static func serve(
    _ type: any ProtobufMessage.Type, bytes: [UInt8], roundTrip: Bool, options: DecodingOptions
  ) -> String {
    let message: any ProtobufMessage
    do {
      message = try type.init(serializedBytes: bytes, options: options)
    } catch {
      return Self.error(codeName(error.code), error.description)
    }
    let dump = Data(message.textDump.utf8).base64EncodedString()
    guard roundTrip else { return "ok \(dump)" }
    do {
      let encoded = try message.serializedBytes()
      return "ok \(Data(encoded).base64EncodedString()) \(dump)"
    } catch {
      return Self.error(codeName(error.code), error.description)
    }
  }

  private static func decodeBase64(_ text: Substring) -> [UInt8]? {
    if text.isEmpty { return [] }
    guard let data = Data(base64Encoded: String(text)) else { return nil }
    return [UInt8](data)
  }

  private static func error(_ code: String, _ description: String) -> String {
    "err \(code) \(oneLine(description))"
  }

  /// `text` with line breaks replaced, so that an answer stays one line.
  private static func oneLine(_ text: some StringProtocol) -> String {
    String(text.map { $0.isNewline ? " " : $0 })
  }

  private static func token(_ text: String) -> String {
    String(text.map { $0.isWhitespace ? "_" : $0 })
  }
}
