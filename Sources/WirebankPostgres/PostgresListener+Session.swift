import CLibpq

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A notification sent with `NOTIFY channel, 'payload'` or `pg_notify(channel, payload)`.
public struct PostgresNotification: Sendable, Hashable {
  /// The channel it was sent on.
  public var channel: String
  /// The payload text (empty if none was given).
  public var payload: String
  /// The server process of the session that sent it.
  public var backendPID: Int32
}

/// The listener's connection, used only from its own single thread, one call at a time.
final class ListenSession: @unchecked Sendable {
  private var libpq: LibpqConnection?
  private var connection: LibpqConnection {
    get throws {
      guard let libpq else { throw PostgresError(.connectionClosed, reason: "listener closed") }
      return libpq
    }
  }

  /// Connects and runs `LISTEN` for each channel (blocking).
  init(parameters: [PostgresConfiguration.Parameter], channels: [String]) throws {
    let connection = try LibpqConnection(parameters: parameters)
    for channel in channels {
      try connection.executeScript("LISTEN \(PostgresQuery.quoteIdentifier(channel))")
    }
    libpq = connection
  }

  /// Closes the connection (`PQfinish`); call on the listener's thread.
  func close() { libpq = nil }

  /// What waiting for input ended with.
  enum WaitOutcome {
    case notifications([PostgresNotification])
    case woken
  }

  /// Blocks until the server sends something, `wakeDescriptor` becomes readable, or
  /// `timeoutMilliseconds` pass (then a round trip proves the connection is still alive).
  /// - Throws: `PostgresError` of kind `connectionLost` when the connection broke.
  func waitForNotifications(wakeDescriptor: Int32, timeoutMilliseconds: Int32) throws
    -> WaitOutcome
  {
    let connection = try self.connection
    let buffered = connection.takeNotifications()
    if !buffered.isEmpty { return .notifications(buffered) }
    var descriptors = [
      pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0),
      pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0),
    ]
    let ready = poll(&descriptors, 2, timeoutMilliseconds)
    if ready < 0 {
      guard errno == EINTR else {
        throw PostgresError(.connectionLost, reason: "poll failed with errno \(errno)")
      }
      return .notifications([])
    }
    if descriptors[1].revents != 0 { return .woken }
    if ready == 0 {
      try connection.executeScript("")
    } else {
      try connection.consumeInput()
    }
    guard !connection.isBroken else {
      throw PostgresError(.connectionLost, reason: "the listening connection closed")
    }
    return .notifications(connection.takeNotifications())
  }
}

/// A pipe whose write end wakes a thread blocked in `poll` on its read end.
final class WakePipe: Sendable {
  let readDescriptor: Int32
  private let writeDescriptor: Int32

  init() throws {
    var descriptors: [Int32] = [-1, -1]
    guard pipe(&descriptors) == 0 else {
      throw PostgresError(.unexpectedResponse, reason: "pipe failed with errno \(errno)")
    }
    for descriptor in descriptors {
      _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
      _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }
    readDescriptor = descriptors[0]
    writeDescriptor = descriptors[1]
  }

  deinit {
    close(readDescriptor)
    close(writeDescriptor)
  }

  /// Makes the read end readable (idempotent enough: the pipe is never drained).
  func signal() {
    var byte: UInt8 = 1
    _ = write(writeDescriptor, &byte, 1)
  }
}
