import Foundation
import LendingOrigination
import LendingProductEngine
import LendingScoring
import Synchronization
import Testing
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

/// The three Lending services, each on its own fresh database, joined by in-process transports
/// that the test can break (`PeerTransport`), with their job workers running.
///
/// A service's runtime can be stopped and replaced by a new one on the same database, as a
/// restarted process would be.
final class LendingHarness: Sendable {
  enum Service: String, CaseIterable, Sendable { case origination, scoring, productEngine }

  let clock = ManualClock()
  let originationPool: PostgresPool
  let scoringPool: PostgresPool
  let enginePool: PostgresPool
  /// What Origination, Scoring and the Product Engine are reached through (by jobs and tests).
  let toOrigination = PeerTransport()
  let toScoring = PeerTransport()
  let toEngine = PeerTransport()
  private let running = Mutex<[Service: Task<Void, Never>]>([:])
  /// Whether Scoring decides within the call that brings an application (its default); false
  /// runs every evaluation in its job, which reports the decision to Origination.
  let scoringDecidesInline: Bool

  /// The external client of Origination.
  var origination: Origination.Client { Origination.Client(transport: toOrigination) }
  var scoring: Scoring.Client { Scoring.Client(transport: toScoring) }
  var engine: ProductEngine.Client { ProductEngine.Client(transport: toEngine) }

  private init(
    originationPool: PostgresPool, scoringPool: PostgresPool, enginePool: PostgresPool,
    scoringDecidesInline: Bool
  ) {
    self.originationPool = originationPool
    self.scoringPool = scoringPool
    self.enginePool = enginePool
    self.scoringDecidesInline = scoringDecidesInline
  }

  /// Three fresh databases, migrated, with every runtime started.
  static func start(scoringDecidesInline: Bool = true) async throws -> LendingHarness {
    let harness = LendingHarness(
      originationPool: try await LendingTestDatabase.freshPool("orig", maxConnections: 10),
      scoringPool: try await LendingTestDatabase.freshPool("scor", maxConnections: 10),
      enginePool: try await LendingTestDatabase.freshPool("pe", maxConnections: 10),
      scoringDecidesInline: scoringDecidesInline)
    for service in Service.allCases { try await harness.start(service) }
    return harness
  }

  static var workerConfiguration: JobWorker.Configuration {
    var configuration = JobWorker.Configuration()
    configuration.retryBackoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(200))
    configuration.sweepInterval = .seconds(1)
    return configuration
  }

  /// Starts a new runtime of `service` on its database and routes its callers to it.
  func start(_ service: Service) async throws {
    let logger = LendingTestDatabase.logger
    let task: Task<Void, Never>
    switch service {
    case .origination:
      var configuration = OriginationRuntime.Configuration()
      configuration.jobWorker = Self.workerConfiguration
      configuration.jobWorker.queue = OriginationRuntime.defaultJobQueue
      let runtime = try await OriginationRuntime.start(
        pool: originationPool, scoring: toScoring, productEngine: toEngine, clock: clock,
        logger: logger, configuration: configuration)
      toOrigination.connect(to: InProcessTransport(services: [runtime.service]))
      task = Task { await runtime.run() }
      try await eventually("origination listens") { runtime.isReady }
    case .scoring:
      var configuration = ScoringRuntime.Configuration()
      configuration.jobWorker = Self.workerConfiguration
      configuration.jobWorker.queue = ScoringRuntime.defaultJobQueue
      if !scoringDecidesInline { configuration.inlineEvaluationTimeout = nil }
      let runtime = try await ScoringRuntime.start(
        pool: scoringPool, productEngine: toEngine, origination: toOrigination, clock: clock,
        logger: logger, configuration: configuration)
      toScoring.connect(to: InProcessTransport(services: [runtime.service]))
      task = Task { await runtime.run() }
      try await eventually("scoring listens") { runtime.isReady }
    case .productEngine:
      var configuration = ProductEngineRuntime.Configuration()
      configuration.jobWorker = Self.workerConfiguration
      configuration.jobWorker.queue = ProductEngineRuntime.defaultJobQueue
      let runtime = try await ProductEngineRuntime.start(
        pool: enginePool, clock: clock, logger: logger, configuration: configuration)
      toEngine.connect(to: InProcessTransport(services: [runtime.service]))
      task = Task { await runtime.run() }
      try await eventually("product engine listens") { runtime.isReady }
    }
    running.withLock { $0[service] = task }
  }

  /// Stops the job worker of `service` (its in-flight jobs go back to the queue).
  func stop(_ service: Service) async {
    guard let task = running.withLock({ $0.removeValue(forKey: service) }) else { return }
    task.cancel()
    await task.value
  }

  /// Stops every worker and closes the pools.
  func shutdown() async {
    for service in Service.allCases { await stop(service) }
    for pool in [originationPool, scoringPool, enginePool] { await pool.close() }
  }

  // MARK: Observations

  func application(_ id: String) async throws -> OriginationApplication {
    var request = OriginationGetApplicationRequest()
    request.applicationId = id
    return try await origination.getApplication(request)
  }

  /// Waits until every application in `ids` is in a final status; returns them.
  func waitUntilFinal(_ ids: [String], timeout: Duration = .seconds(30)) async throws
    -> [OriginationApplication]
  {
    let final: Set<OriginationApplicationStatus> = [.rejected, .cancelled, .agreementCreated]
    var applications: [OriginationApplication] = []
    try await eventually(timeout: timeout, "applications reach a final status") {
      applications = []
      for id in ids { applications.append(try await application(id)) }
      return applications.allSatisfy { final.contains($0.status) }
    }
    return applications
  }

  func count(_ pool: PostgresPool, _ query: PostgresQuery) async throws -> Int64 {
    try await pool.query(query).single().decode(Int64.self)
  }

  /// Origination's jobs of `kind` that succeeded.
  func succeededOriginationJobs(_ kind: String) async throws -> Int64 {
    try await count(
      originationPool,
      "SELECT count(*) FROM wirebank_jobs WHERE kind = \(kind) AND state = 'succeeded'")
  }

  /// Enqueues Origination's job `kind` for application `id` in `transaction`, naming the
  /// application as text (as a job claimed from the queue, or an older Origination's, does).
  static func enqueueOriginationJob(
    _ kind: String, application id: String, runAt: Date? = nil,
    in transaction: PostgresTransaction
  ) async throws {
    try await JobQueue.enqueue(
      NewJob(
        kind: kind, payload: Array(id.utf8), queue: OriginationRuntime.defaultJobQueue,
        uniqueKey: "\(kind):\(id)", runAt: runAt), in: transaction)
  }

  /// Submits an application while Scoring is out of Origination's reach, stops Origination's
  /// worker (its hand-off job waits) and brings Scoring back: the test then calls Scoring as
  /// Origination would, with the request this returns.
  func submitAndHoldTheHandOff(_ number: String, decideNow: Bool) async throws
    -> (application: OriginationApplication, request: ScoringScoreApplicationRequest)
  {
    let submitted = try await submitWhileScoringIsDown(number)
    try await eventually("the first attempt failed") {
      toScoring.calls("ScoreApplication") >= 1
    }
    await stop(.origination)
    toScoring.setDown(false)
    var request = Self.scoringRequest(for: submitted)
    request.decideNow = decideNow
    return (submitted, request)
  }

  /// The request Origination sends Scoring for `application` (without `decide_now`).
  static func scoringRequest(for application: OriginationApplication)
    -> ScoringScoreApplicationRequest
  {
    var request = ScoringScoreApplicationRequest()
    request.applicationId = application.applicationId
    request.applicant = application.applicant
    request.terms = application.terms
    return request
  }

  /// Takes Scoring out of Origination's reach and submits an application, which stays NEW.
  func submitWhileScoringIsDown(_ number: String) async throws -> OriginationApplication {
    toScoring.setDown(true)
    let submitted = try await origination.submitApplication(Fixtures.submission(number))
    return try #require(submitted.application)
  }

  /// Checks what must hold whatever happened: one agreement per accepted application and none
  /// without one, each schedule summing back to its principal.
  /// - Parameter made: agreements the test made directly, by application id.
  func checkInvariants(madeDirectly made: Set<String> = []) async throws {
    let agreements = try await enginePool.query(
      "SELECT application_id, agreement_id::text, status FROM agreements")
    var byApplication: [String: (agreementID: String, status: String)] = [:]
    for row in agreements {
      let (applicationID, agreementID, status) = try row.decode((String, String, String).self)
      if made.contains(applicationID) { continue }
      #expect(byApplication[applicationID] == nil, "two agreements for \(applicationID)")
      byApplication[applicationID] = (agreementID, status)
    }
    let applications = try await originationPool.query(
      "SELECT application_id::text, status, agreement_id FROM applications")
    var withAgreement = 0
    for row in applications {
      let (id, status, agreementID) = try row.decode((String, String, String?).self)
      let agreement = byApplication[id]
      switch status {
      case "AGREEMENT_CREATED":
        withAgreement += 1
        #expect(agreement?.agreementID == agreementID, "application \(id) and its agreement")
        #expect(agreement?.status != "CANCELLED")
      case "CANCELLED":
        if let agreement {
          #expect(agreement.status == "CANCELLED", "agreement of cancelled \(id)")
        }
      default:
        #expect(agreement == nil, "agreement for \(status) application \(id)")
      }
    }
    let orphans = Set(byApplication.keys).subtracting(
      try applications.map { try $0.decode(String.self, at: 0) })
    #expect(orphans.isEmpty, "agreements without an application: \(orphans)")
    let inexact = try await count(
      enginePool,
      """
      SELECT count(*) FROM agreements a
      WHERE a.principal_minor <> (SELECT sum(principal_minor) FROM schedule_entries e
                                  WHERE e.agreement_id = a.agreement_id)
         OR a.term_months <> (SELECT count(*) FROM schedule_entries e
                              WHERE e.agreement_id = a.agreement_id)
      """)
    #expect(inexact == 0)
    #expect(byApplication.values.filter { $0.status != "CANCELLED" }.count == withAgreement)
  }
}

extension Fixtures {
  static func submission(
    _ number: String, principal: Int64 = 30_000_000, months: Int32 = 24, key: String = "",
    income: Int64? = 15_000_000, born: (Int32, Int32, Int32) = (1988, 4, 12)
  ) -> OriginationSubmitApplicationRequest {
    var request = OriginationSubmitApplicationRequest()
    request.idempotencyKey = key
    request.applicant = applicant(number, income: income, born: born)
    request.terms = terms(principal, months: months)
    request.metadata = ["channel": "mobile", "partner": "acme"]
    return request
  }
}
