import Foundation

/// Where the Lending services keep their data.
public enum DatabaseSource: Sendable, Hashable {
  /// A private PostgreSQL cluster under `stateDirectory`, started if it is not running, with one
  /// database per service (`lending_origination`, `lending_scoring`, `lending_product_engine`).
  case embedded(stateDirectory: String, settings: [String: String])
  /// A PostgreSQL URL. `{service}` in it stands for `origination`, `scoring` or
  /// `product_engine`, so that one template names each service's own database.
  case url(String)

  /// The placeholder a URL template names each service's database with.
  public static let servicePlaceholder = "{service}"

  /// The settings of an embedded cluster that can lose its data (a throw-away demo or test
  /// folder): no flush to disk at all. A crashed process still loses nothing; a crashed machine
  /// may.
  public static let disposableClusterSettings = [
    "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
  ]

  /// Settings every embedded cluster gets: room for three services' pools, their job
  /// listeners and processes restarted before their old sessions ended.
  public static let embeddedBaseSettings = ["max_connections": "200"]

  /// An embedded cluster under `stateDirectory` with durable settings.
  public static func embedded(stateDirectory: String) -> DatabaseSource {
    .embedded(stateDirectory: stateDirectory, settings: [:])
  }

  /// The URL of `service`'s database: the template with `{service}` replaced.
  func url(_ template: String, for service: LendingService) -> String {
    template.replacingOccurrences(of: Self.servicePlaceholder, with: service.databaseSuffix)
  }
}

extension LendingService {
  /// What `{service}` in a database URL template stands for.
  public var databaseSuffix: String {
    switch self {
    case .origination: "origination"
    case .scoring: "scoring"
    case .productEngine: "product_engine"
    }
  }
}
