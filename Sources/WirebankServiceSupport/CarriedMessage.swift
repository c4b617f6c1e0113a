import WirebankProtobuf

/// The payload of a job that carries the message it works on, so that its first attempt reads
/// nothing back: a zero byte, then the message's bytes. A job that names its subject by an id
/// as text instead (ids hold no U+0000) is told apart by the first byte.
public enum CarriedMessage {
  /// The payload carrying `message`.
  public static func payload(_ message: some ProtobufMessage) throws -> [UInt8] {
    [0] + (try message.serializedBytes())
  }

  /// The message `payload` carries, or nil when the payload names its subject as text.
  /// - Throws: the decoding error of a payload that carries a corrupt message.
  public static func message<Message: ProtobufMessage>(
    _: Message.Type, in payload: [UInt8]
  ) throws -> Message? {
    guard payload.first == 0 else { return nil }
    return try Message(serializedBytes: payload.dropFirst())
  }
}
