import Foundation
import Logging
import WirebankJobs
import WirebankPostgres

/// An embedded cluster in a temporary folder with PostgreSQL's default durability (fsync on,
/// synchronous_commit on), removed when the benchmark ends.
struct BenchCluster {
  let cluster: EmbeddedPostgres
  let folder: String
  let logger: Logger

  /// Creates and starts the cluster under `/tmp` (a real disk here, not tmpfs: see `fileSystem`).
  static func start(logger: Logger) async throws -> BenchCluster {
    var template = Array("/tmp/wirebank-jobs-bench-XXXXXX".utf8CString)
    guard let path = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
    let folder = String(cString: path)
    // No settings: the server's defaults, which keep fsync and synchronous_commit on.
    let configuration = EmbeddedPostgres.Configuration(directory: folder)
    let cluster = try await EmbeddedPostgres.start(configuration, logger: logger)
    return BenchCluster(cluster: cluster, folder: folder, logger: logger)
  }

  /// A pool on a new database holding the jobs tables.
  func freshPool(named name: String, maxConnections: Int = 8) async throws -> PostgresPool {
    let configuration = try await cluster.createDatabaseIfAbsent(name)
    let pool = PostgresPool(
      configuration: configuration, options: .init(maxConnections: maxConnections), logger: logger)
    try await JobsSchema.migrate(pool: pool, logger: logger)
    return pool
  }

  /// The server version and the settings that decide what a commit costs, as the server sees them.
  func durabilitySettings() async throws -> String {
    let pool = PostgresPool(
      configuration: cluster.configuration(database: "postgres"),
      options: .init(maxConnections: 1), logger: logger)
    let names = [
      "server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_sync_method",
      "shared_buffers",
    ]
    var pairs: [String] = []
    do {
      for name in names {
        let value = try await pool.query("SELECT current_setting(\(name))").single()
          .decode(String.self)
        pairs.append("\(name)=\(value)")
      }
    } catch {
      await pool.close()
      throw error
    }
    await pool.close()
    return pairs.joined(separator: " ")
  }

  /// WAL flushes to disk (fdatasync calls) since the server started, from `pg_stat_wal`: proof
  /// that commits really waited for the disk.
  func walSyncs() async throws -> Int64 {
    let pool = PostgresPool(
      configuration: cluster.configuration(database: "postgres"),
      options: .init(maxConnections: 1), logger: logger)
    do {
      let syncs = try await pool.query("SELECT wal_sync FROM pg_stat_wal").single()
        .decode(Int64.self)
      await pool.close()
      return syncs
    } catch {
      await pool.close()
      throw error
    }
  }

  /// The file system the data folder is on (fsync on tmpfs would cost nothing): the type of the
  /// longest mount point in /proc/mounts that contains the folder.
  var fileSystem: String {
    let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
    var best: (point: String, type: String) = ("", "unknown")
    for line in mounts.split(separator: "\n") {
      let fields = line.split(separator: " ")
      guard fields.count >= 3 else { continue }
      let point = String(fields[1])
      let contains = point == "/" || folder == point || folder.hasPrefix(point + "/")
      if contains && point.count >= best.point.count { best = (point, String(fields[2])) }
    }
    return best.type == "tmpfs" ? "tmpfs: fsync costs nothing here" : best.type
  }

  /// Stops the server and deletes the folder.
  func remove() async {
    do {
      try await cluster.stop()
    } catch {
      logger.warning("cannot stop the benchmark cluster", metadata: ["error": "\(error)"])
    }
    try? FileManager.default.removeItem(atPath: folder)
  }
}
