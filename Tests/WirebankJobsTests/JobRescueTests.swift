import Foundation
import Testing
import WirebankJobs
import WirebankPostgres

/// A worker process killed with SIGKILL in the middle of a job: after its lease ends the job is
/// rescued, and its effect (a row under a unique constraint, written in the job's transaction)
/// is applied exactly once.
@Suite struct JobRescueTests {
  @Test(.timeLimit(.minutes(1)))
  func aKilledWorkersJobIsRescuedAndAppliedOnce() async throws {
    try await withJobsPool { pool in
      try await pool.query(
        "CREATE TABLE effects (job_id int8 PRIMARY KEY, applied_by text NOT NULL DEFAULT 'crashed')"
      )
      let id = try #require(
        try await pool.withTransaction {
          try await JobQueue.enqueue(NewJob(kind: "effect"), in: $0)
        })

      let helper = Process()
      helper.executableURL = try Self.helperExecutable()
      helper.arguments = [pool.configuration.description, "1000"]
      let output = Pipe()
      helper.standardOutput = output
      try helper.run()
      let line = try await Self.firstLine(of: output)
      #expect(line == "STARTED \(id)")
      kill(helper.processIdentifier, SIGKILL)
      helper.waitUntilExit()
      #expect(helper.terminationReason == .uncaughtSignal)

      var configuration = JobWorker.Configuration()
      configuration.sweepInterval = .seconds(30)
      let rescuer = JobWorker(
        pool: pool, configuration: configuration,
        handlers: [
          "effect": { context in
            try await context.complete { tx in
              _ = try await tx.query(
                "INSERT INTO effects (job_id, applied_by) VALUES (\(context.job.id), 'rescuer')")
            }
          }
        ], logger: JobsTestDatabase.logger)
      let start = ContinuousClock.now
      try await whileRunning([rescuer]) {
        try await eventually(timeout: .seconds(25), "the job is rescued") {
          try await JobQueue.status(of: id, pool: pool)?.state == .succeeded
        }
      }
      let elapsed = ContinuousClock.now - start
      let status = try #require(try await JobQueue.status(of: id, pool: pool))
      #expect(status.attempts == 2)
      let effects = try await pool.query("SELECT job_id, applied_by FROM effects")
      #expect(effects.count == 1)
      #expect(try effects.single().decode((Int64, String).self) == (id, "rescuer"))
      // Rescued when the 1 s lease ran out, not at the 30 s sweep (the bound leaves a slow
      // machine time to start the worker).
      #expect(elapsed < .seconds(25))
    }
  }

  static func helperExecutable() throws -> URL {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var folder = testBinary.deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = folder.appendingPathComponent("wirebank-job-worker")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      folder = folder.deletingLastPathComponent()
    }
    throw Waited(what: "the wirebank-job-worker executable next to \(testBinary.path)")
  }

  /// Reads the helper's stdout on a thread of its own until the first newline.
  static func firstLine(of pipe: Pipe) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
      Thread.detachNewThread {
        var bytes: [UInt8] = []
        let handle = pipe.fileHandleForReading
        while true {
          let chunk = handle.availableData
          if chunk.isEmpty { break }
          bytes += chunk
          if bytes.contains(UInt8(ascii: "\n")) { break }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let line = text.split(separator: "\n").first else {
          continuation.resume(
            throwing: Waited(what: "the helper's first line (it printed \(text.count) bytes)"))
          return
        }
        continuation.resume(returning: String(line))
      }
    }
  }
}
