/// The statements one connection has prepared on the server, by SQL text and parameter types.
///
/// Preparing saves the server parsing and planning a statement it has seen before. The cache is
/// bounded: past `capacity` the least recently used statement is evicted, and its server-side
/// copy is queued for `DEALLOCATE` in a later round trip (outside any transaction block, where a
/// failing DEALLOCATE cannot harm a transaction).
struct PreparedStatementCache {
  /// What identifies a statement: the same text with other parameter types is another one.
  struct Key: Hashable {
    var sql: String
    var types: [UInt32]
  }

  /// How a statement is to be run.
  enum Preparation: Equatable {
    /// Not prepared: parsed unnamed with its execution (statements without parameters).
    case unnamed
    /// Prepared in an earlier round trip under this name.
    case cached(String)
    /// To be prepared under this new name in the same round trip as its execution.
    case fresh(String)
  }

  /// The most statements kept prepared at once.
  let capacity: Int
  private var entries: [Key: Entry] = [:]
  private var clock: UInt64 = 0
  private var lastNumber = 0
  /// Names of evicted statements still prepared on the server.
  private(set) var pendingDeallocations: [String] = []

  private struct Entry {
    var name: String
    var lastUse: UInt64
  }

  /// An empty cache of at most `capacity` statements.
  init(capacity: Int = 256) { self.capacity = max(1, capacity) }

  /// The number of statements the cache holds.
  var count: Int { entries.count }

  /// How to run the statement `key`: by its cached name, or prepared afresh under a new name.
  mutating func preparation(for key: Key) -> Preparation {
    clock += 1
    // One lookup: a key hashes the statement's whole text, several kilobytes for some.
    if let index = entries.index(forKey: key) {
      entries.values[index].lastUse = clock
      return .cached(entries.values[index].name)
    }
    lastNumber += 1
    return .fresh("wb\(lastNumber)")
  }

  /// Records that the server prepared `key` as `name`, evicting the least recently used
  /// statement when the cache is full.
  mutating func remember(_ name: String, for key: Key) {
    if entries[key] == nil, entries.count >= capacity,
      let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })
    {
      entries[oldest.key] = nil
      pendingDeallocations.append(oldest.value.name)
    }
    clock += 1
    entries[key] = Entry(name: name, lastUse: clock)
  }

  /// Forgets `key`; `stillOnServer` queues its server-side statement for `DEALLOCATE`.
  mutating func forget(_ key: Key, stillOnServer: Bool) {
    guard let entry = entries.removeValue(forKey: key) else { return }
    if stillOnServer { pendingDeallocations.append(entry.name) }
  }

  /// The names queued for `DEALLOCATE`, emptying the queue.
  mutating func takePendingDeallocations() -> [String] {
    defer { pendingDeallocations = [] }
    return pendingDeallocations
  }
}
