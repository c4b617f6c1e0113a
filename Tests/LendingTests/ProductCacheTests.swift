import Synchronization
import Testing
import WirebankContracts

@testable import LendingScoring

/// Scoring's product cache: a product is fetched once per lifetime; unknown codes every time.
@Suite struct ProductCacheTests {
  @Test func aKnownProductIsFetchedOncePerLifetimeAndAnUnknownOneEachTime() async throws {
    let fetches = Mutex<[String]>([])
    func fetch(_ code: String) -> ProductEngineProduct? {
      fetches.withLock { $0.append(code) }
      guard code == "CASH_LOAN" else { return nil }
      var product = ProductEngineProduct()
      product.productCode = code
      return product
    }
    let kept = ProductCache(lifetime: .seconds(3600))
    for _ in 0..<3 {
      let product = try await kept.product("CASH_LOAN") { fetch("CASH_LOAN") }
      #expect(product?.productCode == "CASH_LOAN")
      #expect(try await kept.product("NO_SUCH") { fetch("NO_SUCH") } == nil)
    }
    #expect(fetches.withLock { $0 } == ["CASH_LOAN", "NO_SUCH", "NO_SUCH", "NO_SUCH"])

    fetches.withLock { $0.removeAll() }
    let expired = ProductCache(lifetime: .zero)
    for _ in 0..<2 { _ = try await expired.product("CASH_LOAN") { fetch("CASH_LOAN") } }
    #expect(fetches.withLock { $0 } == ["CASH_LOAN", "CASH_LOAN"])
  }
}
