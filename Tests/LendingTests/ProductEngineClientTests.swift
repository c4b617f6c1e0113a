import Testing
import WirebankContracts

@testable import LendingProductEngine

/// Clients of the Product Engine: found by their document, created once.
@Suite struct ProductEngineClientTests {
  @Test func clientsAreKeyedByNormalisedDocument() async throws {
    let engine = try await EngineHarness.make()
    defer { Task { await engine.close() } }
    var one = Fixtures.createAgreement("app-a", document: "77 11 22")
    one.applicant?.identityDocument?.issuingCountry = "ru"
    var two = Fixtures.createAgreement("app-b", document: "  77 11 22 ")
    two.applicant?.identityDocument?.series = " 4510"
    let first = try await engine.client.createAgreement(one)
    let second = try await engine.client.createAgreement(two)
    #expect(first.agreement?.clientId == second.agreement?.clientId)
    let clients = try await engine.pool.query("SELECT count(*) FROM clients").single().decode(
      Int64.self)
    #expect(clients == 1)
  }

  @Test func concurrentAgreementsOfOneNewClientCreateItOnce() async throws {
    let engine = try await EngineHarness.make()
    defer { Task { await engine.close() } }
    // Each call inserts the client unless it exists; those that meet another's insert of it
    // find nothing to use in their statement's snapshot and try again.
    let clientIDs = try await withThrowingTaskGroup(of: String.self) { group in
      for index in 0..<8 {
        group.addTask {
          let request = Fixtures.createAgreement("app-c\(index)", document: "55 66 77")
          let response = try await engine.client.createAgreement(request)
          #expect(response.created)
          return response.agreement?.clientId ?? ""
        }
      }
      return try await group.reduce(into: [String]()) { $0.append($1) }
    }
    #expect(clientIDs.count == 8 && Set(clientIDs).count == 1 && clientIDs[0] != "")
    let clients = try await engine.pool.query("SELECT count(*) FROM clients").single().decode(
      Int64.self)
    #expect(clients == 1)
    #expect(try await engine.agreementCount() == 8)
  }
}
