import Foundation
import Logging

// Wirebank's durable jobs on an embedded PostgreSQL with fsync on: jobs/s through
// enqueue → claim → complete, and enqueue → start latency (issue 4, "Benchmark").
//
//   swift run -c release JobsBenchmarks                      the table (~30 s after the build)
//   swift run -c release JobsBenchmarks --jobs 50000 --latency-jobs 1000

let usage = """
  usage: JobsBenchmarks [--jobs N] [--batch N] [--concurrency N,N,…] [--claim-batch N]
                        [--latency-jobs N]
  defaults: --jobs 20000 --batch 500 --concurrency 16,64 --latency-jobs 500, and the worker's
  default claimBatchSize (32)
  """

var jobs = 20_000
var batchSize = 500
var concurrencies = [16, 64]
var latencyJobs = 500
var claimBatchSize: Int? = nil
var arguments = CommandLine.arguments.dropFirst()
@MainActor func positive(_ flag: String) -> Int {
  guard let text = arguments.popFirst(), let number = Int(text), number > 0 else {
    print("\(flag) needs a positive number\n\(usage)")
    exit(2)
  }
  return number
}
while let argument = arguments.popFirst() {
  switch argument {
  case "--jobs": jobs = positive(argument)
  case "--batch": batchSize = positive(argument)
  case "--latency-jobs": latencyJobs = positive(argument)
  case "--claim-batch": claimBatchSize = positive(argument)
  case "--concurrency":
    let list = (arguments.popFirst() ?? "").split(separator: ",").compactMap { Int($0) }
    guard !list.isEmpty, list.allSatisfy({ $0 > 0 }) else {
      print("--concurrency needs numbers such as 16,64\n\(usage)")
      exit(2)
    }
    concurrencies = list
  case "-h", "--help":
    print(usage)
    exit(0)
  default:
    print("unknown argument \(argument)\n\(usage)")
    exit(2)
  }
}

func loadAverage() -> String {
  let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "? ? ?"
  return text.split(separator: " ").prefix(3).joined(separator: " ")
}

var logger = Logger(label: "wirebank.jobs.benchmarks")
logger.logLevel = .warning
let loadBefore = loadAverage()
let clock = ContinuousClock()
let began = clock.now

let cluster = try await BenchCluster.start(logger: logger)
do {
  print("Jobs benchmark: Wirebank's durable jobs on an embedded PostgreSQL, fsync ON")
  print("server: \(try await cluster.durabilitySettings())")
  print(
    "data: \(cluster.folder) (\(cluster.fileSystem)); cluster up after "
      + "\(milliseconds((clock.now - began).seconds * 1000)) ms")
  print(
    "throughput: \(grouped(jobs)) no-op jobs enqueued in batches of \(batchSize) (one "
      + "transaction each, no worker running), then run to completion by one JobWorker "
      + "(claimBatchSize \(claimBatchSize.map(String.init) ?? "32, the default"), default lease "
      + "and sweep); a fresh database per row")
  print(
    "latency: \(latencyJobs) jobs enqueued one at a time, each in its own transaction, after "
      + "20 unmeasured; worker idle, sweep every 60 s, so only NOTIFY starts them in time\n")

  let syncsBefore = try await cluster.walSyncs()
  var runs: [ThroughputResult] = []
  for concurrency in concurrencies {
    let pool = try await cluster.freshPool(named: "throughput_\(concurrency)")
    runs.append(
      try await ThroughputBenchmark.run(
        concurrency: concurrency, claimBatchSize: claimBatchSize, jobs: jobs,
        batchSize: batchSize, pool: pool, logger: logger))
    await pool.close()
  }
  let pool = try await cluster.freshPool(named: "latency")
  let latency = try await LatencyBenchmark.run(
    jobs: latencyJobs, warmUp: 20, pool: pool, logger: logger)
  await pool.close()

  print(Report(throughput: runs, latency: latency).render())
  let phases = runs.map {
    "c\($0.concurrency): enqueue \(milliseconds($0.enqueue.seconds * 1000)) ms, "
      + "drain \(milliseconds($0.drain.seconds * 1000)) ms"
  }
  print("phases: " + phases.joined(separator: "; "))
  let syncs = try await cluster.walSyncs() - syncsBefore
  let allJobs = jobs * runs.count + latencyJobs + 20
  print(
    "WAL flushes (fdatasync) during the runs: \(grouped(Int(syncs))) for \(grouped(allJobs)) jobs")
} catch {
  print("benchmark failed: \(error)")
  await cluster.remove()
  exit(1)
}
await cluster.remove()
print(
  "total \(milliseconds((clock.now - began).seconds)) s; load average before \(loadBefore), "
    + "after \(loadAverage()) (\(ProcessInfo.processInfo.activeProcessorCount) cores)")
