import WirebankPostgres

/// Why a request with an idempotency key was not run.
///
/// The RPC layer maps `requestMismatch` to FAILED_PRECONDITION, `inFlight` to ABORTED (the
/// client may retry) and `invalidKey` to INVALID_ARGUMENT.
public struct IdempotencyError: Error, Sendable, CustomStringConvertible {
  /// The kind of refusal; a growable set.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    /// The code's name.
    public let description: String
    private init(_ name: String) { description = name }

    /// The key was used before with a different request (FAILED_PRECONDITION).
    public static let requestMismatch = Code("request mismatch")
    /// A request with this key is still being processed (ABORTED; retry later).
    public static let inFlight = Code("in flight")
    /// The key is empty or too long (INVALID_ARGUMENT).
    public static let invalidKey = Code("invalid key")
  }

  /// The kind of refusal.
  public var code: Code
  /// A reason fit to send to the client.
  public var reason: String

  /// Whether the client may send the same request again later.
  public var isRetryable: Bool { code == .inFlight }

  /// The code and reason.
  public var description: String { "IdempotencyError(\(code)): \(reason)" }
}

/// A digest of a request's canonical bytes, compared when an idempotency key is reused.
public struct RequestFingerprint: Sendable, Hashable {
  /// The SHA-256 digest.
  public let digest: [UInt8]

  /// The fingerprint of `canonicalBytes` (for example a method name and an encoded message).
  public init(canonicalBytes: some Sequence<UInt8>) {
    digest = SHA256.hash(canonicalBytes)
  }

  /// The fingerprint of a call: its method and its encoded request, unambiguously joined.
  public init(method: String, request: [UInt8]) {
    var hasher = SHA256()
    let name = Array(method.utf8)
    hasher.update(withUnsafeBytes(of: UInt64(name.count).bigEndian) { Array($0) })
    hasher.update(name)
    hasher.update(request)
    digest = hasher.finalize()
  }
}
