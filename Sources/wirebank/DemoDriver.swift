import Foundation
import Synchronization
import WirebankContracts
import WirebankRPC

/// What happened to one application of the demo batch.
struct DemoResult: Sendable {
  var application: DemoBatch.Application
  /// The application's id, once Origination stored it.
  var applicationID: String?
  /// Why the submission failed, if it did.
  var failure: String?
  /// What the repeated submission (retried or sent twice) returned.
  var repeatOutcome: String?
  /// A second application the repeated submission created (the first had already finished).
  var extraApplicationID: String?
  /// What the cancellation did.
  var cancelOutcome: String?
  /// The application as it ended.
  var final: OriginationApplication?
  /// Its agreement's schedule, when it has one.
  var schedule: ProductEngineSchedule?
}

/// Drives the demo batch through a running Lending over its public API: submits the
/// applications at a steady pace (with their retries, repeats and cancellations), prints a
/// progress line every second, waits until every application is final and fetches the
/// schedules of the agreements.
struct DemoDriver: Sendable {
  let batch: DemoBatch
  let origination: Origination.Client
  let productEngine: ProductEngine.Client
  /// How long the first wave's submissions are spread over.
  let pace: Duration
  /// The longest the applications may take to reach a final status.
  let timeout: Duration

  static let finalStatuses: Set<OriginationApplicationStatus> = [
    .rejected, .cancelled, .agreementCreated,
  ]
  static let shownStatuses: [OriginationApplicationStatus] = [
    .new, .scoring, .accepted, .agreementCreated, .rejected, .cancelled,
  ]

  private let options = CallOptions(timeout: .seconds(10))

  func run() async throws -> [DemoResult] {
    let results = DemoResults()
    let started = ContinuousClock.now
    let createdAfter = Date().addingTimeInterval(-5)
    let progress = Task {
      var next = started
      while !Task.isCancelled {
        next = next + .seconds(1)
        guard (try? await Task.sleep(until: next, clock: .continuous)) != nil else { return }
        await printProgress(results, since: started, createdAfter: createdAfter)
      }
    }
    defer { progress.cancel() }

    let interval = pace / max(batch.firstWave.count, 1)
    await withTaskGroup(of: Void.self) { group in
      for (index, application) in batch.firstWave.enumerated() {
        group.addTask {
          try? await Task.sleep(until: started + interval * index, clock: .continuous)
          let result = await submit(application)
          results.withLock { $0[application.number] = result }
        }
      }
    }
    // The returning client's fourth loan, once their first three are signed.
    let earlier = results.withLock { all in
      batch.returningClientLoans.compactMap { all[$0.number]?.applicationID }
    }
    try await waitUntilFinal(earlier, what: "the returning client's first loans")
    for application in batch.secondWave {
      let result = await submit(application)
      results.withLock { $0[application.number] = result }
    }
    let ids = results.withLock { $0.values.flatMap { [$0.applicationID, $0.extraApplicationID] } }
      .compactMap { $0 }
    try await waitUntilFinal(ids, what: "every application")
    progress.cancel()
    await printProgress(results, since: started, createdAfter: createdAfter, final: true)
    return try await finished(
      results.withLock { $0.values.sorted { $0.application.number < $1.application.number } })
  }

  /// Submits one application and carries out its plan.
  private func submit(_ application: DemoBatch.Application) async -> DemoResult {
    var result = DemoResult(application: application)
    do {
      let first = try await origination.submitApplication(application.request, options: options)
      let id = first.application?.applicationId ?? ""
      result.applicationID = id
      switch application.plan {
      case .regular, .returningClient:
        break
      case .retriedWithSameKey:
        let again = try await origination.submitApplication(application.request, options: options)
        result.repeatOutcome =
          again.deduplicated && again.application?.applicationId == id
          ? "retried with the same key: same application" : "retried: NEW APPLICATION (bug)"
      case .submittedTwice:
        var request = application.request
        request.idempotencyKey = UUID().uuidString.lowercased()
        let again = try await origination.submitApplication(request, options: options)
        if again.deduplicated && again.application?.applicationId == id {
          result.repeatOutcome = "sent twice: same application"
        } else {
          result.repeatOutcome = "sent twice after the first had finished: new application"
          result.extraApplicationID = again.application?.applicationId
        }
      case .cancelledByClient:
        var cancel = OriginationCancelApplicationRequest()
        cancel.applicationId = id
        cancel.reason = "the client changed their mind"
        do {
          _ = try await origination.cancelApplication(cancel, options: options)
          result.cancelOutcome = "cancelled by the client"
        } catch let error as RPCError where error.code == .failedPrecondition {
          result.cancelOutcome = "cancel came too late"
        }
      }
    } catch {
      result.failure = "\(error)"
    }
    return result
  }

  /// Waits until every application in `ids` is final, checking every 20 ms.
  private func waitUntilFinal(_ ids: [String], what: String) async throws {
    let deadline = ContinuousClock.now + timeout
    var pending = Set(ids)
    while !pending.isEmpty {
      for id in pending {
        var request = OriginationGetApplicationRequest()
        request.applicationId = id
        let application = try await origination.getApplication(request, options: options)
        if Self.finalStatuses.contains(application.status) { pending.remove(id) }
      }
      if pending.isEmpty { return }
      guard ContinuousClock.now < deadline else {
        throw DemoError("\(what) did not finish within \(timeout): \(pending.count) still open")
      }
      try await Task.sleep(for: .milliseconds(20))
    }
  }

  /// The final state of each application and its agreement's schedule.
  private func finished(_ results: [DemoResult]) async throws -> [DemoResult] {
    try await withThrowingTaskGroup(of: DemoResult.self) { group in
      for result in results {
        group.addTask {
          var result = result
          guard let id = result.applicationID else { return result }
          var request = OriginationGetApplicationRequest()
          request.applicationId = id
          let application = try await origination.getApplication(request, options: options)
          result.final = application
          if application.status == .agreementCreated {
            var schedule = ProductEngineGetScheduleRequest()
            schedule.agreementId = application.agreementId
            result.schedule = try await productEngine.getSchedule(schedule, options: options)
          }
          return result
        }
      }
      var finished: [DemoResult] = []
      for try await result in group { finished.append(result) }
      return finished.sorted { $0.application.number < $1.application.number }
    }
  }

  /// One line: time, submissions so far and how many of the batch's applications are in
  /// each status.
  private func printProgress(
    _ results: DemoResults, since started: ContinuousClock.Instant,
    createdAfter: Date, final: Bool = false
  ) async {
    let ids = Set(
      results.withLock { $0.values.flatMap { [$0.applicationID, $0.extraApplicationID] } }
        .compactMap { $0 })
    let submitted = results.withLock { $0.count }
    let total = batch.firstWave.count + batch.secondWave.count
    var counts: [OriginationApplicationStatus: Int] = [:]
    var request = OriginationListApplicationsRequest()
    var page = CommonPageRequest()
    page.pageSize = 500
    request.createdAfter = Google_Protobuf_Timestamp(seconds: createdAfter)
    repeat {
      request.page = page
      guard let response = try? await origination.listApplications(request, options: options)
      else { return }
      for application in response.applications where ids.contains(application.applicationId) {
        counts[application.status, default: 0] += 1
      }
      page.pageToken = response.page?.nextPageToken ?? ""
    } while !page.pageToken.isEmpty
    let elapsed = (ContinuousClock.now - started).secondsValue
    let statuses = Self.shownStatuses.map { "\(LendingText.status($0)) \(counts[$0, default: 0])" }
      .joined(separator: " · ")
    Console.line(
      String(format: final ? "  all final at %.1f s  " : "  %5.1f s  ", elapsed)
        + "submitted \(submitted)/\(total)  │  " + statuses)
  }
}

/// The results gathered so far, by row number.
final class DemoResults: Sendable {
  private let results = Mutex<[Int: DemoResult]>([:])

  func withLock<Value: Sendable>(_ body: (inout [Int: DemoResult]) -> Value) -> Value {
    results.withLock { body(&$0) }
  }
}

/// The demo could not complete.
struct DemoError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

extension Duration {
  /// The duration in seconds.
  var secondsValue: Double {
    Double(components.seconds) + Double(components.attoseconds) / 1e18
  }
}

extension Google_Protobuf_Timestamp {
  /// The instant `date`, to the microsecond.
  init(seconds date: Date) {
    self.init()
    let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
    seconds = micros / 1_000_000
    nanos = Int32((micros % 1_000_000) * 1000)
  }
}
