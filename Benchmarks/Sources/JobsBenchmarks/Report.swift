import Foundation

/// The one table the benchmark prints: our runs, the published figures and the goal.
struct Report {
  var throughput: [ThroughputResult]
  var latency: LatencyResult

  static let goalRate = 5_000.0
  static let goalP50Milliseconds = 5.0

  private static let header = [
    "row", "enqueue jobs/s", "claim+complete jobs/s", "combined jobs/s", "p50 ms", "p99 ms",
  ]

  func render() -> String {
    var rows: [[String]] = throughput.map { run in
      [
        "Wirebank, worker concurrency \(run.concurrency) (\(grouped(run.jobs)) jobs)"
          + (run.claimBatchSize == 32 ? "" : ", claim batch \(run.claimBatchSize)"),
        grouped(run.enqueueRate), grouped(run.drainRate), grouped(run.combinedRate), "", "",
      ]
    }
    let count = latency.commitToStart.count
    rows.append([
      "Wirebank latency, COMMIT → start (\(count) jobs)", "", "", "",
      milliseconds(latency.commitToStart.percentileMilliseconds(0.5)),
      milliseconds(latency.commitToStart.percentileMilliseconds(0.99)),
    ])
    rows.append([
      "Wirebank latency, BEGIN → start (\(count) jobs)", "", "", "",
      milliseconds(latency.callToStart.percentileMilliseconds(0.5)),
      milliseconds(latency.callToStart.percentileMilliseconds(0.99)),
    ])
    rows.append([
      "graphile-worker (published, other hardware)", "~202,000", "~183,000", "", "4.16 avg",
      "13.84 max",
    ])
    rows.append(["River (published, other hardware)", "", "~46,000", "", "", ""])
    rows.append(["goal (this machine, issue 4)", "", "", "≥ 5,000", "≤ 5", ""])
    return table(rows) + "\n" + verdict()
  }

  private func verdict() -> String {
    let best = throughput.map(\.combinedRate).max() ?? 0
    let p50 = latency.commitToStart.percentileMilliseconds(0.5)
    let rate = best >= Self.goalRate ? "met" : "MISSED"
    let wake = p50 <= Self.goalP50Milliseconds ? "met" : "MISSED"
    var lines = [
      "goal ≥ 5,000 jobs/s enqueue → claim → complete: \(rate) (best combined \(grouped(best)))",
      "goal p50 enqueue → start ≤ 5 ms: \(wake) (COMMIT → start p50 \(milliseconds(p50)) ms)",
    ]
    if latency.missed > 0 {
      lines.append("lost wake-ups (no start within 5 s of COMMIT): \(latency.missed)")
    }
    return lines.joined(separator: "\n")
  }

  private func table(_ rows: [[String]]) -> String {
    let all = [Self.header] + rows
    let widths = Self.header.indices.map { column in
      all.map { $0[column].count }.max() ?? 0
    }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { column, cell in
        let padding = String(repeating: " ", count: widths[column] - cell.count)
        return column == 0 ? cell + padding : padding + cell
      }.joined(separator: "  ").trimmingTrailingSpaces()
    }
    let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))
    return ([line(Self.header), rule] + rows.map(line)).joined(separator: "\n")
  }
}

func grouped(_ value: Double) -> String { grouped(Int(value.rounded())) }

func grouped(_ value: Int) -> String {
  let digits = String(value)
  var result = ""
  for (index, digit) in digits.reversed().enumerated() {
    if index > 0 && index % 3 == 0 { result.append(",") }
    result.append(digit)
  }
  return String(result.reversed())
}

func milliseconds(_ value: Double) -> String { String(format: "%.2f", value) }

extension String {
  fileprivate func trimmingTrailingSpaces() -> String {
    String(reversed().drop { $0 == " " }.reversed())
  }
}
