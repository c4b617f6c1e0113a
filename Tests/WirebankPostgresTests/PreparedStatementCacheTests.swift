import CLibpq
import Testing

@testable import WirebankPostgres

/// The statement cache and the pipeline's rules, without a server.
@Suite struct PreparedStatementCacheTests {
  typealias Key = PreparedStatementCache.Key

  @Test func evictsTheLeastRecentlyUsedAndQueuesItsDeallocation() {
    var cache = PreparedStatementCache(capacity: 2)
    let (a, b, c) = (
      Key(sql: "a", types: [20]), Key(sql: "b", types: [20]), Key(sql: "c", types: [])
    )
    #expect(cache.preparation(for: a) == .fresh("wb1"))
    cache.remember("wb1", for: a)
    #expect(cache.preparation(for: b) == .fresh("wb2"))
    cache.remember("wb2", for: b)
    #expect(cache.preparation(for: a) == .cached("wb1"))
    #expect(cache.preparation(for: c) == .fresh("wb3"))
    cache.remember("wb3", for: c)
    #expect(cache.count == 2 && cache.pendingDeallocations == ["wb2"])
    #expect(cache.preparation(for: a) == .cached("wb1"))
    #expect(cache.takePendingDeallocations() == ["wb2"] && cache.pendingDeallocations.isEmpty)
  }

  @Test func theSameTextWithOtherTypesIsAnotherStatement() {
    var cache = PreparedStatementCache()
    let number = Key(sql: "SELECT $1", types: [20])
    let text = Key(sql: "SELECT $1", types: [25])
    #expect(cache.preparation(for: number) == .fresh("wb1"))
    cache.remember("wb1", for: number)
    #expect(cache.preparation(for: text) == .fresh("wb2"))
    #expect(cache.preparation(for: number) == .cached("wb1"))
  }

  @Test func forgettingQueuesADeallocationOnlyWhenTheServerStillHasIt() {
    var cache = PreparedStatementCache()
    let (a, b) = (Key(sql: "a", types: [20]), Key(sql: "b", types: [20]))
    cache.remember("wb1", for: a)
    cache.remember("wb2", for: b)
    cache.forget(a, stillOnServer: false)
    cache.forget(b, stillOnServer: true)
    #expect(cache.count == 0 && cache.pendingDeallocations == ["wb2"])
  }

  @Test func beginParseExecuteAndSyncGoInOneRoundTripInThatOrder() {
    let pipeline = StatementPipeline(
      preparation: .fresh("wb7"), begin: "BEGIN", deallocations: ["wb1"])
    #expect(
      pipeline.steps == [
        .deallocate(name: "wb1"), .sync, .begin(sql: "BEGIN"), .prepare(name: "wb7"),
        .execute(name: "wb7"), .sync,
      ])
  }

  @Test func aFailedParseIsNotRemembered() throws {
    var pipeline = StatementPipeline(preparation: .fresh("wb1"))
    pipeline.record(.failed(PostgresError(.server, code: .syntaxError, reason: "statement failed")))
    pipeline.record(.skipped)
    pipeline.record(.skipped)
    let decision = pipeline.decision()
    #expect(decision.cacheChange == nil && !decision.retry)
    #expect(throws: PostgresError.self) { try decision.result.get() }
  }

  @Test func aParsedStatementIsRememberedEvenWhenItsExecutionFails() throws {
    var pipeline = StatementPipeline(preparation: .fresh("wb1"))
    pipeline.record(.succeeded(try emptyRows()))
    pipeline.record(.failed(PostgresError(.server, code: .uniqueViolation, reason: "failed")))
    pipeline.record(.skipped)
    #expect(pipeline.decision().cacheChange == .remember("wb1"))
  }

  @Test(arguments: [false, true])
  func aStaleStatementIsForgottenAndRetriedOnlyWhenItStandsAlone(inTransaction: Bool) throws {
    for (code, change) in [
      (PostgresError.Code.featureNotSupported, StatementPipeline.CacheChange.forgetStale),
      (.invalidSQLStatementName, .forgetGone),
    ] {
      var pipeline = StatementPipeline(
        preparation: .cached("wb3"), inTransactionBlock: inTransaction)
      pipeline.record(.failed(PostgresError(.server, code: code, reason: "statement failed")))
      pipeline.record(.skipped)
      let decision = pipeline.decision()
      #expect(decision.cacheChange == change && decision.retry == !inTransaction)
      let error = #expect(throws: PostgresError.self) { try decision.result.get() }
      #expect(error?.isTransient == true && error?.code == code)
    }
  }

  @Test func aFreshStatementsErrorIsNeverStale() throws {
    var pipeline = StatementPipeline(preparation: .fresh("wb1"))
    pipeline.record(.succeeded(try emptyRows()))
    pipeline.record(.failed(PostgresError(.server, code: .featureNotSupported, reason: "x")))
    pipeline.record(.skipped)
    let decision = pipeline.decision()
    #expect(!decision.retry && decision.cacheChange == .remember("wb1"))
  }

  @Test func aFailedDeallocationDoesNotFailTheStatement() throws {
    var pipeline = StatementPipeline(preparation: .unnamed, deallocations: ["wb1"])
    pipeline.record(.failed(PostgresError(.server, code: .invalidSQLStatementName, reason: "x")))
    pipeline.record(.skipped)
    pipeline.record(.succeeded(try emptyRows()))
    pipeline.record(.skipped)
    #expect(throws: Never.self) { try pipeline.decision().result.get() }
  }

  @Test func answersThatStopEarlyAreAnError() throws {
    var pipeline = StatementPipeline(preparation: .unnamed)
    pipeline.record(.succeeded(try emptyRows()))
    let error = #expect(throws: PostgresError.self) { try pipeline.decision().result.get() }
    #expect(error?.kind == .unexpectedResponse)
  }

  private func emptyRows() throws -> PostgresRows {
    let result = try #require(PQmakeEmptyPGresult(nil, PGRES_COMMAND_OK))
    return PostgresRows(storage: ResultStorage(taking: result, query: "test"))
  }
}
