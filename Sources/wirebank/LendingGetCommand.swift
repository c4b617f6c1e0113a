import ArgumentParser
import WirebankContracts
import WirebankRPC

/// `wirebank lending get <id>`: one application, its decision and its agreement's schedule.
struct LendingGetCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "get",
    abstract: "Show an application, Scoring's decision, and its agreement and schedule.")

  @OptionGroup var endpoints: LendingEndpointOptions

  @Argument(help: "The application id.")
  var applicationID: String

  @Flag(help: "Print every payment of the schedule (default: the first three and the last).")
  var fullSchedule = false

  func run() async throws {
    try await endpoints.withClients { origination, engine in
      var request = OriginationGetApplicationRequest()
      request.applicationId = applicationID
      let application = try await origination.getApplication(request, options: lendingCallOptions)
      for line in ApplicationText.lines(application, rules: true) { Console.line(line) }
      guard !application.agreementId.isEmpty else { return }
      do {
        var agreementRequest = ProductEngineGetAgreementRequest()
        agreementRequest.agreementId = application.agreementId
        let agreement = try await engine.getAgreement(agreementRequest, options: lendingCallOptions)
        var scheduleRequest = ProductEngineGetScheduleRequest()
        scheduleRequest.agreementId = application.agreementId
        let schedule = try await engine.getSchedule(scheduleRequest, options: lendingCallOptions)
        for line in ApplicationText.lines(agreement, schedule, full: fullSchedule) {
          Console.line(line)
        }
      } catch let error as RPCError {
        Console.line(
          "agreement: cannot reach the Product Engine (\(error.code)); pass --product-engine")
      }
    }
  }
}

/// `wirebank lending cancel <id>`.
struct LendingCancelCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cancel", abstract: "Cancel an application that has no agreement yet.")

  @OptionGroup var endpoints: LendingEndpointOptions

  @Argument(help: "The application id.")
  var applicationID: String

  @Option(help: "Why it is cancelled (kept with the application).")
  var reason = "cancelled by the client"

  func run() async throws {
    try await endpoints.withClients { origination, _ in
      var request = OriginationCancelApplicationRequest()
      request.applicationId = applicationID
      request.reason = reason
      let application = try await origination.cancelApplication(
        request, options: lendingCallOptions)
      Console.line("application cancelled")
      for line in ApplicationText.lines(application) { Console.line(line) }
    }
  }
}

/// `wirebank lending list`: applications, newest first.
struct LendingListCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List applications, newest first.")

  @OptionGroup var endpoints: LendingEndpointOptions

  @Option(help: "Only this status: NEW, SCORING, ACCEPTED, REJECTED, CANCELLED, AGREEMENT_CREATED.")
  var status: String?

  @Option(help: "Only the applications of the client with this document number.")
  var document: String?

  @Option(help: "How many to show.")
  var limit: Int32 = 20

  @Option(help: "Continue after a previous page (its printed token).")
  var pageToken = ""

  func validate() throws {
    if let status, Self.status(status) == nil {
      throw ValidationError("unknown status \(status)")
    }
    guard (1...500).contains(limit) else { throw ValidationError("--limit is 1 to 500") }
  }

  static func status(_ name: String) -> OriginationApplicationStatus? {
    OriginationApplicationStatus.allCases.first {
      LendingText.status($0) == name.uppercased() && $0 != .unspecified
    }
  }

  func run() async throws {
    try await endpoints.withClients { origination, _ in
      var request = OriginationListApplicationsRequest()
      var page = CommonPageRequest()
      page.pageSize = limit
      page.pageToken = pageToken
      request.page = page
      request.status = status.flatMap(Self.status)
      request.identityDocumentNumber = document
      let response = try await origination.listApplications(request, options: lendingCallOptions)
      var table = TextTable(
        headers: [
          "application", "created (UTC)", "applicant", "product", "principal", "months", "status",
          "agreement",
        ],
        rightAligned: [4, 5])
      for application in response.applications {
        table.add([
          application.applicationId,
          String(LendingText.timestamp(application.createdAt).dropLast(4)),
          [application.applicant?.firstName, application.applicant?.lastName].compactMap { $0 }
            .joined(separator: " "),
          application.terms?.productCode ?? "",
          LendingText.money(application.terms?.principal),
          String(application.terms?.termMonths ?? 0), LendingText.status(application.status),
          LendingText.shortID(application.agreementId),
        ])
      }
      if response.applications.isEmpty {
        Console.line("no applications")
      } else {
        for line in table.render() { Console.line(line) }
      }
      if let token = response.page?.nextPageToken, !token.isEmpty {
        Console.line("more: --page-token \(token)")
      }
    }
  }
}
