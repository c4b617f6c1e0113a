#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// An exclusive lock on a state folder, held while a process sets up the embedded cluster in
/// it, so that processes started together take turns (`flock` on a file in the folder; the
/// kernel drops it when the process dies).
enum StateFolderLock {
  static let fileName = ".wirebank-setup.lock"

  /// Runs `body` holding the lock of `directory` (created if absent), waiting for it
  /// (without blocking a thread) for at most `timeout`.
  /// - Throws: `LendingHostError` when the folder cannot be created or the lock not taken in
  ///   time; what `body` throws.
  static func withLock<Result: Sendable>(
    in directory: String, timeout: Duration = .seconds(180),
    _ body: () async throws -> Result
  ) async throws -> Result {
    try makeDirectories(directory)
    let path = directory + "/" + fileName
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw LendingHostError("cannot open \(path) (errno \(errno))")
    }
    defer { close(descriptor) }
    let deadline = ContinuousClock.now + timeout
    while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
      guard errno == EWOULDBLOCK || errno == EINTR else {
        throw LendingHostError("cannot lock \(path) (errno \(errno))")
      }
      guard ContinuousClock.now < deadline else {
        throw LendingHostError("another process holds \(path) for too long")
      }
      try await Task.sleep(for: .milliseconds(50))
    }
    defer { flock(descriptor, LOCK_UN) }
    return try await body()
  }

  private static func makeDirectories(_ path: String) throws {
    var prefix = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
      prefix += "/" + component
      if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
        throw LendingHostError("cannot create \(prefix) (errno \(errno))")
      }
    }
  }
}
