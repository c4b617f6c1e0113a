// A job worker process for the crash test: it claims the job, writes the job's effect inside
// the job's transaction, reports "STARTED <id>" on stdout and then hangs until it is killed.
import Logging
import WirebankJobs
import WirebankPostgres

#if canImport(Glibc)
  import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count == 3, let leaseMilliseconds = Int64(arguments[2]) else {
  print("usage: wirebank-job-worker <conninfo> <lease-milliseconds>")
  exit(2)
}
var logger = Logger(label: "wirebank-job-worker")
logger.logLevel = .error
let pool = PostgresPool(
  configuration: try PostgresConfiguration(conninfo: arguments[1]), logger: logger)
var configuration = JobWorker.Configuration()
configuration.lease = .milliseconds(leaseMilliseconds)
configuration.concurrency = 1
let worker = JobWorker(
  pool: pool, configuration: configuration,
  handlers: [
    "effect": { context in
      try await context.complete { transaction in
        try await transaction.query("INSERT INTO effects (job_id) VALUES (\(context.job.id))")
        print("STARTED \(context.job.id)")
        fflush(nil)
        // Hang inside the open transaction until SIGKILL.
        while true { try await Task.sleep(for: .seconds(3600)) }
      }
    }
  ], logger: logger)
await worker.run()
