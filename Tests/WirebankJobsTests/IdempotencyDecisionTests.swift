import Foundation
import Testing

@testable import WirebankJobs

/// The idempotency rules, without a database.
@Suite struct IdempotencyDecisionTests {
  let created = Date(timeIntervalSince1970: 1_700_000_000)
  let day = Duration.seconds(86_400)

  func stored(completed: Bool, lockedFor seconds: TimeInterval? = nil) -> IdempotencyKeys.StoredKey
  {
    IdempotencyKeys.StoredKey(
      fingerprint: [1], isCompleted: completed, response: completed ? [9] : nil, createdAt: created,
      lockedUntil: seconds.map { created.addingTimeInterval($0) })
  }

  @Test func decisions() {
    let decide = IdempotencyKeys.decide
    let soon = created.addingTimeInterval(30)
    #expect(decide(stored(completed: true), [1], soon, day) == .replay([9]))
    #expect(decide(stored(completed: true), [2], soon, day) == .rejectMismatch)
    #expect(decide(stored(completed: false, lockedFor: 60), [1], soon, day) == .rejectInFlight)
    #expect(decide(stored(completed: false, lockedFor: 60), [2], soon, day) == .rejectMismatch)
    #expect(
      decide(stored(completed: false, lockedFor: 10), [1], soon, day) == .takeOver(expired: false))
    let nextDay = created.addingTimeInterval(86_400)
    #expect(decide(stored(completed: true), [2], nextDay, day) == .takeOver(expired: true))
    #expect(
      decide(stored(completed: true), [1], nextDay.addingTimeInterval(-1), day) == .replay([9]))
  }

  @Test func fingerprintsSeparateMethodFromBody() {
    #expect(
      RequestFingerprint(method: "/a", request: [1])
        == RequestFingerprint(method: "/a", request: [1]))
    #expect(
      RequestFingerprint(method: "/a", request: [1])
        != RequestFingerprint(method: "/a", request: [2]))
    // Length-prefixing keeps "ab"+"c" apart from "a"+"bc".
    #expect(
      RequestFingerprint(method: "ab", request: Array("c".utf8))
        != RequestFingerprint(method: "a", request: Array("bc".utf8)))
  }
}
