import Logging
import WirebankJobs
import WirebankPostgres

/// Origination's schema, in its own database: every application ever submitted, plus the jobs,
/// inbox and idempotency-key tables.
public enum OriginationMigrations {
  /// The component the migrations are recorded under.
  public static let component = "lending_origination"

  /// Applies the jobs tables' and Origination's pending migrations.
  public static func migrate(pool: PostgresPool, logger: Logger) async throws {
    try await JobsSchema.migrate(pool: pool, logger: logger)
    try await PostgresMigrator.migrate(all, component: component, pool: pool, logger: logger)
  }

  /// Every migration, in order.
  public static let all = [
    Migration(
      version: 1, name: "applications",
      sql: """
        CREATE TABLE applications (
          application_id uuid PRIMARY KEY,
          -- Keyset paging order: newest first.
          seq bigserial NOT NULL UNIQUE,
          -- The applicant as submitted (wirebank.lending.common.v1.Applicant).
          applicant bytea NOT NULL,
          document_kind integer NOT NULL,
          document_country text NOT NULL,
          document_series text NOT NULL,
          document_number text NOT NULL,
          product_code text NOT NULL,
          principal_minor bigint NOT NULL CHECK (principal_minor > 0),
          currency text NOT NULL,
          term_months integer NOT NULL CHECK (term_months > 0),
          status text NOT NULL CHECK (status IN
            ('NEW', 'SCORING', 'ACCEPTED', 'REJECTED', 'CANCELLED', 'AGREEMENT_CREATED')),
          -- Document, product, principal and term: identical in-flight applications share it.
          content_key text NOT NULL,
          metadata_keys text[] NOT NULL,
          metadata_values text[] NOT NULL,
          -- Scoring's decision (wirebank.lending.scoring.v1.Decision), once reported.
          decision bytea,
          decision_id text UNIQUE,
          -- Set once the agreement job first asked the Product Engine (before its answer).
          agreement_requested boolean NOT NULL DEFAULT false,
          agreement_id text,
          cancel_reason text,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        );
        -- At most one in-flight application per content: the deduplication of submissions.
        CREATE UNIQUE INDEX applications_in_flight ON applications (content_key)
          WHERE status IN ('NEW', 'SCORING', 'ACCEPTED');
        CREATE INDEX applications_by_status ON applications (status, seq);
        CREATE INDEX applications_by_document ON applications (document_number, seq);
        """),
    Migration(
      version: 2, name: "checks as domains",
      sql: """
        -- The single-column rules as domains, unchanged (why: the jobs tables' migration 6).
        CREATE DOMAIN origination_amount AS bigint CHECK (VALUE > 0);
        CREATE DOMAIN origination_term AS integer CHECK (VALUE > 0);
        CREATE DOMAIN origination_status AS text CHECK (VALUE IN
          ('NEW', 'SCORING', 'ACCEPTED', 'REJECTED', 'CANCELLED', 'AGREEMENT_CREATED'));
        ALTER TABLE applications
          DROP CONSTRAINT applications_principal_minor_check,
          DROP CONSTRAINT applications_term_months_check,
          DROP CONSTRAINT applications_status_check,
          ALTER COLUMN principal_minor TYPE origination_amount,
          ALTER COLUMN term_months TYPE origination_term,
          ALTER COLUMN status TYPE origination_status;
        """),
  ]
  // `applications.agreement_requested` (migration 1) is no longer read or written: the
  // agreement job tells from `Job.mayHaveRunBefore` whether an earlier attempt may have asked
  // the Product Engine. It stays until no Origination that reads it can be running, and goes
  // in a later migration.
}
