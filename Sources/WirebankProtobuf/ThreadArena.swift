#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// One `Arena` per thread, created on first use and released when the thread exits.
@usableFromInline
enum ThreadArena {
  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { pointer in
      if let pointer { Unmanaged<Arena>.fromOpaque(pointer).release() }
    }
    precondition(status == 0, "pthread_key_create failed: \(status)")
    return key
  }()

  @usableFromInline
  static var current: Arena {
    if let existing = pthread_getspecific(key) {
      return Unmanaged<Arena>.fromOpaque(existing).takeUnretainedValue()
    }
    let arena = Arena()
    pthread_setspecific(key, Unmanaged.passRetained(arena).toOpaque())
    return arena
  }
}
