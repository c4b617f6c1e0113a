import Logging
import WirebankJobs
import WirebankPostgres

/// Scoring's schema, in its own database: the applications it acknowledged and its decisions,
/// plus the jobs tables.
public enum ScoringMigrations {
  /// The component the migrations are recorded under.
  public static let component = "lending_scoring"

  /// Applies the jobs tables' and Scoring's pending migrations.
  public static func migrate(pool: PostgresPool, logger: Logger) async throws {
    try await JobsSchema.migrate(pool: pool, logger: logger)
    try await PostgresMigrator.migrate(all, component: component, pool: pool, logger: logger)
  }

  /// Every migration, in order.
  public static let all = [
    Migration(
      version: 1, name: "scored applications",
      sql: """
        CREATE TABLE scored_applications (
          -- Origination's application id: one evaluation per application, whatever the retries.
          application_id text PRIMARY KEY,
          -- The request as first received (wirebank.lending.scoring.v1.ScoreApplicationRequest).
          request bytea NOT NULL,
          state text NOT NULL CHECK (state IN ('RECEIVED', 'DECIDED')),
          received_at timestamptz NOT NULL,
          -- The decision (wirebank.lending.scoring.v1.Decision), once made.
          decision bytea,
          outcome text CHECK (outcome IN ('APPROVED', 'REJECTED')),
          decided_at timestamptz,
          CHECK ((state = 'DECIDED') = (decision IS NOT NULL))
        );
        """),
    Migration(
      version: 2, name: "checks as domains",
      sql: """
        -- The single-column rules as domains, unchanged (why: the jobs tables' migration 6).
        CREATE DOMAIN scoring_state AS text CHECK (VALUE IN ('RECEIVED', 'DECIDED'));
        CREATE DOMAIN scoring_outcome AS text CHECK (VALUE IN ('APPROVED', 'REJECTED'));
        ALTER TABLE scored_applications
          DROP CONSTRAINT scored_applications_state_check,
          DROP CONSTRAINT scored_applications_outcome_check,
          ALTER COLUMN state TYPE scoring_state,
          ALTER COLUMN outcome TYPE scoring_outcome;
        """),
  ]
}
