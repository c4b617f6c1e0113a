#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A small timing harness: warm-up, calibration, then `batches` timed batches of `opsPerBatch`
/// calls each; the result is the median of the batches' ns/op (robust against the odd batch
/// disturbed by another process, a page fault storm or a timer interrupt).

/// Keeps a value alive so the optimiser cannot drop the work that produced it.
@_optimize(none)
@inline(never)
func blackHole<T>(_ value: T) {}

/// Monotonic time in nanoseconds.
@inline(__always)
func nowNanoseconds() -> UInt64 {
  var time = timespec()
  clock_gettime(CLOCK_MONOTONIC, &time)
  return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

struct HarnessSettings {
  /// Timed batches per measurement; the median of them is reported.
  var batches = 31
  /// Target wall time of one batch; the number of calls per batch is calibrated to it.
  var batchNanoseconds: UInt64 = 15_000_000
  /// Wall time spent running the operation before calibration.
  var warmupNanoseconds: UInt64 = 100_000_000
}

struct Measurement {
  /// Median ns/op over the batches.
  var median: Double
  /// Fastest and slowest batch, ns/op.
  var min: Double
  var max: Double
  var opsPerBatch: Int
  var batches: Int
}

/// Times `body`. `body` must hand its result to `blackHole`.
@inline(__always)
func measure(_ settings: HarnessSettings, _ body: () throws -> Void) rethrows -> Measurement {
  // Warm-up: caches, branch predictors, the thread's arena, malloc's free lists.
  var warmupCalls = 0
  let warmupStart = nowNanoseconds()
  while nowNanoseconds() - warmupStart < settings.warmupNanoseconds {
    for _ in 0..<8 { try body() }
    warmupCalls += 8
  }
  // Calibrate calls per batch from the warm-up's rate.
  let elapsed = Double(nowNanoseconds() - warmupStart)
  let perCall = elapsed / Double(warmupCalls)
  let opsPerBatch = max(1, Int(Double(settings.batchNanoseconds) / perCall))

  var samples: [Double] = []
  samples.reserveCapacity(settings.batches)
  for _ in 0..<settings.batches {
    let start = nowNanoseconds()
    for _ in 0..<opsPerBatch { try body() }
    let end = nowNanoseconds()
    samples.append(Double(end - start) / Double(opsPerBatch))
  }
  samples.sort()
  return Measurement(
    median: samples[samples.count / 2], min: samples.first!, max: samples.last!,
    opsPerBatch: opsPerBatch, batches: settings.batches)
}
