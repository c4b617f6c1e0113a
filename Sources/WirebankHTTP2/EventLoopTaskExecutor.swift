import NIOCore

/// A task executor that runs jobs on one NIO event loop.
///
/// Handler tasks of a connection prefer this executor, so the handler's nonisolated code runs
/// on the thread that owns the connection's nghttp2 session: reading a request and writing a
/// response then needs no thread hop and no lock. Jobs enqueued from the loop itself are run
/// in order after the current event; jobs from elsewhere wake the loop.
public final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
  /// The loop jobs run on.
  let eventLoop: any EventLoop

  /// An executor over `eventLoop`.
  public init(eventLoop: any EventLoop) {
    self.eventLoop = eventLoop
  }

  /// Runs `job` on the loop, after what the loop is doing now.
  public func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    eventLoop.execute {
      job.runSynchronously(on: self.asUnownedTaskExecutor())
    }
  }
}
