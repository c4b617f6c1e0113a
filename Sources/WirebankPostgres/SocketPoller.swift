import CLibpq
import NIOPosix
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// One thread that waits (in `epoll`) for the sockets of every connection in the process and
/// reads a statement's answer there as soon as it arrives.
///
/// This replaces a pool thread per statement that sent it and blocked until the answer came:
/// the task that runs a statement sends it itself and is resumed once, by this thread, with the
/// result, so a statement costs one thread wake-up instead of two.
final class SocketPoller: Sendable {
  /// The process's poller; its thread starts with the first use and runs as long as the process.
  static let shared = SocketPoller()

  /// Why a handler runs.
  enum Event {
    /// The socket has input (or was closed).
    case readable
    /// The socket could not be watched again: no more input will be reported, so finish.
    case unwatchable
  }

  /// What runs on the poller's thread: true when it is done, false to wait for more input.
  typealias Handler = @Sendable (Event) -> Bool

  private let epoll: Int32
  private let handlers = Mutex<[Int32: Handler]>([:])
  private let thread = NIOThreadPool(numberOfThreads: 1)

  private init() {
    epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
    precondition(epoll >= 0, "epoll_create1 failed (errno \(errno))")
    thread.start()
    thread.submit { [self] _ in run() }
  }

  /// Runs `handler` on the poller's thread once `socket` is readable (at once if it is already),
  /// and again after each further input until it returns true.
  /// - Returns: false if the socket cannot be watched (the handler will not run).
  func whenReadable(_ socket: Int32, _ handler: @escaping Handler) -> Bool {
    let replaced = handlers.withLock { $0.updateValue(handler, forKey: socket) }
    precondition(replaced == nil, "socket \(socket) is watched already")
    guard arm(socket) else {
      handlers.withLock { _ = $0.removeValue(forKey: socket) }
      return false
    }
    return true
  }

  /// Asks epoll for one readiness event of `socket`.
  private func arm(_ socket: Int32) -> Bool {
    var event = epoll_event()
    event.events = EPOLLIN.rawValue | EPOLLONESHOT.rawValue
    event.data.fd = socket
    // A closed socket leaves epoll by itself, so a number seen before may need adding again.
    if epoll_ctl(epoll, EPOLL_CTL_MOD, socket, &event) == 0 { return true }
    return errno == ENOENT && epoll_ctl(epoll, EPOLL_CTL_ADD, socket, &event) == 0
  }

  private func run() -> Never {
    var events = [epoll_event](repeating: epoll_event(), count: 64)
    while true {
      let count = epoll_wait(epoll, &events, Int32(events.count), -1)
      guard count > 0 else {
        precondition(count == 0 || errno == EINTR, "epoll_wait failed (errno \(errno))")
        continue
      }
      for event in events[0..<Int(count)] {
        let socket = event.data.fd
        guard let handler = handlers.withLock({ $0.removeValue(forKey: socket) }) else { continue }
        if !handler(.readable) && !whenReadable(socket, handler) {
          _ = handler(.unwatchable)
        }
      }
    }
  }
}
