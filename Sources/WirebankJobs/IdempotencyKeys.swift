import WirebankPostgres

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// Idempotency keys for mutating calls, with Stripe's semantics.
///
/// The first request with a key runs and its response is stored with the key; the same request
/// again gets the stored response (`replayed`). The same key with a different request is refused
/// (`requestMismatch`), and so is one that arrives while the first is still running (`inFlight`).
/// A request whose operation throws leaves no trace, so the client may retry it. Keys expire
/// `lifetime` after first use (24 h by default), by the injected clock.
public struct IdempotencyKeys: Sendable {
  let pool: PostgresPool
  let clock: any WallClock
  let lifetime: Duration
  let inFlightTimeout: Duration

  /// Keys stored in `pool`'s database.
  /// - Parameters:
  ///   - inFlightTimeout: after this long an unfinished request (its process died) no longer
  ///     blocks the key.
  public init(
    pool: PostgresPool, clock: any WallClock = SystemWallClock(),
    lifetime: Duration = .seconds(86_400), inFlightTimeout: Duration = .seconds(60)
  ) {
    self.pool = pool
    self.clock = clock
    self.lifetime = lifetime
    self.inFlightTimeout = inFlightTimeout
  }

  /// The response of a request made with an idempotency key.
  public struct Response: Sendable, Hashable {
    /// The response bytes (the first request's, when replayed).
    public var body: [UInt8]
    /// Whether this is a stored response rather than a fresh run.
    public var replayed: Bool

    /// A response with the given values.
    public init(body: [UInt8], replayed: Bool) {
      self.body = body
      self.replayed = replayed
    }
  }

  /// Runs `operation` once per `key` within `scope` (for example the method name).
  ///
  /// `operation` runs in a transaction that also stores its response, so its database changes
  /// and the stored response commit together.
  /// - Throws: `IdempotencyError`, what `operation` throws, or `PostgresError`.
  public func perform(
    scope: String, key: String, request: RequestFingerprint,
    _ operation: (PostgresTransaction) async throws -> [UInt8]
  ) async throws -> Response {
    try Self.check(key: key)
    let token = UUID.random()
    if let stored = try await reserve(scope: scope, key: key, request: request, token: token) {
      return Response(body: stored, replayed: true)
    }
    do {
      let body = try await pool.withTransaction { transaction in
        let body = try await operation(transaction)
        let stored = try await transaction.query(
          """
          UPDATE wirebank_idempotency_keys
          SET state = 'completed', response = \(body), locked_until = NULL
          WHERE scope = \(scope) AND key = \(key) AND lock_token = \(token) AND state = 'in_flight'
          """)
        guard stored.affectedRows == 1 else {
          throw IdempotencyError(
            code: .inFlight, reason: "the request took too long and another one took over its key")
        }
        return body
      }
      return Response(body: body, replayed: false)
    } catch {
      // Forget the reservation so the client can retry; also when this task was cancelled.
      let pool = self.pool
      _ = await Task {
        try await pool.query(
          """
          DELETE FROM wirebank_idempotency_keys
          WHERE scope = \(scope) AND key = \(key) AND lock_token = \(token) AND state = 'in_flight'
          """)
      }.result
      throw error
    }
  }

  /// Deletes keys older than the lifetime; returns how many.
  @discardableResult
  public func purgeExpired() async throws -> Int {
    let cutoff = clock.now().addingTimeInterval(-lifetime.timeInterval)
    return try await pool.query(
      "DELETE FROM wirebank_idempotency_keys WHERE created_at <= \(cutoff)"
    ).affectedRows
  }
}

extension Duration {
  var timeInterval: Double {
    let (seconds, attoseconds) = components
    return Double(seconds) + Double(attoseconds) / 1e18
  }
}
