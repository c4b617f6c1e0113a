import Synchronization
import WirebankContracts

/// Products as the Product Engine last described them, each kept for `lifetime`: every
/// evaluation needs its product, and products change rarely (by migration), so a call per
/// evaluation would be one in six of the pipeline's calls for nothing. Unknown codes are not
/// kept (they come from clients, so keeping them would let the cache grow without bound).
final class ProductCache: Sendable {
  private typealias Entry = (product: ProductEngineProduct, fetched: ContinuousClock.Instant)
  private let entries = Mutex<[String: Entry]>([:])
  let lifetime: Duration

  init(lifetime: Duration = .seconds(60)) {
    self.lifetime = lifetime
  }

  /// The product `code`: kept, or from `fetch` (nil when the Product Engine has none).
  func product(
    _ code: String, fetch: () async throws -> ProductEngineProduct?
  ) async throws -> ProductEngineProduct? {
    let now = ContinuousClock.now
    if let kept = entries.withLock({ $0[code] }), now - kept.fetched < lifetime {
      return kept.product
    }
    guard let product = try await fetch() else { return nil }
    entries.withLock { $0[code] = (product, now) }
    return product
  }
}
