import WirebankPostgres

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// Idempotent receiving: remembers which messages were applied, keyed by the sender's id.
///
/// Call `receive` inside the transaction that applies the message. A redelivery (the sender
/// retried after a timeout, a crash…) finds the record and is skipped; two concurrent deliveries
/// of one message serialise on the record's primary key, so exactly one applies it.
public enum Inbox {
  /// Records `messageID` from `sender`; true the first time (apply the message), false for a
  /// message already applied (skip it, and answer as for the first delivery).
  /// - Throws: `PostgresError`.
  public static func receive(
    messageID: String, from sender: String, in transaction: PostgresTransaction
  ) async throws -> Bool {
    try await transaction.query(
      """
      INSERT INTO wirebank_inbox (sender, message_id) VALUES (\(sender), \(messageID))
      ON CONFLICT DO NOTHING
      """
    ).affectedRows == 1
  }

  /// Forgets messages received before `date` (senders must not redeliver that late).
  /// - Returns: how many records were deleted.
  @discardableResult
  public static func purge(receivedBefore date: Date, pool: PostgresPool) async throws -> Int {
    try await pool.query("DELETE FROM wirebank_inbox WHERE received_at < \(date)").affectedRows
  }
}
