import WirebankPostgres

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

extension IdempotencyKeys {
  /// A key's stored row, as the decision needs it.
  struct StoredKey: Sendable, Hashable {
    var fingerprint: [UInt8]
    var isCompleted: Bool
    var response: [UInt8]?
    var createdAt: Date
    var lockedUntil: Date?
  }

  /// What to do with a request whose key is already stored.
  enum Decision: Sendable, Hashable {
    case replay([UInt8])
    case rejectMismatch
    case rejectInFlight
    /// The key expired, or its request died unfinished: the new request takes it over.
    case takeOver(expired: Bool)
  }

  /// The rules, apart from the database so they can be tested alone.
  static func decide(
    stored: StoredKey, fingerprint: [UInt8], now: Date, lifetime: Duration
  ) -> Decision {
    if stored.createdAt.addingTimeInterval(lifetime.timeInterval) <= now {
      return .takeOver(expired: true)
    }
    if stored.fingerprint != fingerprint { return .rejectMismatch }
    if stored.isCompleted { return .replay(stored.response ?? []) }
    if let lockedUntil = stored.lockedUntil, lockedUntil > now { return .rejectInFlight }
    return .takeOver(expired: false)
  }

  /// Reserves the key for this request (committed at once, so duplicates see it), or returns
  /// the stored response to replay.
  ///
  /// A new key (the usual case) takes one statement in a transaction of its own; only a key
  /// already stored needs the locking read and the decision.
  func reserve(scope: String, key: String, request: RequestFingerprint, token: UUID) async throws
    -> [UInt8]?
  {
    let now = clock.now()
    let lockedUntil = now.addingTimeInterval(inFlightTimeout.timeInterval)
    let fingerprint = request.digest
    let lifetime = self.lifetime
    let inserted = try await pool.query(
      """
      INSERT INTO wirebank_idempotency_keys
        (scope, key, fingerprint, state, lock_token, created_at, locked_until)
      VALUES (\(scope), \(key), \(fingerprint), 'in_flight', \(token), \(now), \(lockedUntil))
      ON CONFLICT DO NOTHING
      """)
    if inserted.affectedRows == 1 { return nil }
    return try await pool.withTransaction { transaction in
      let rows = try await transaction.query(
        """
        SELECT fingerprint, state = 'completed', response, created_at, locked_until
        FROM wirebank_idempotency_keys WHERE scope = \(scope) AND key = \(key) FOR UPDATE
        """)
      guard let row = rows.first else {
        // Deleted since the insert met it (its request failed): let the client retry.
        throw IdempotencyError(code: .inFlight, reason: "a request with this key just finished")
      }
      let (storedPrint, completed, response, createdAt, storedLock) =
        try row.decode(([UInt8], Bool, [UInt8]?, Date, Date?).self)
      let stored = StoredKey(
        fingerprint: storedPrint, isCompleted: completed, response: response,
        createdAt: createdAt, lockedUntil: storedLock)
      switch Self.decide(stored: stored, fingerprint: fingerprint, now: now, lifetime: lifetime) {
      case .replay(let body):
        return body
      case .rejectMismatch:
        throw IdempotencyError(
          code: .requestMismatch,
          reason: "this idempotency key was already used with a different request")
      case .rejectInFlight:
        throw IdempotencyError(
          code: .inFlight, reason: "a request with this idempotency key is still in progress")
      case .takeOver(let expired):
        try await transaction.query(
          """
          UPDATE wirebank_idempotency_keys
          SET fingerprint = \(fingerprint), state = 'in_flight', response = NULL,
              lock_token = \(token), locked_until = \(lockedUntil),
              created_at = CASE WHEN \(expired) THEN \(now) ELSE created_at END
          WHERE scope = \(scope) AND key = \(key)
          """)
        return nil
      }
    }
  }
}
