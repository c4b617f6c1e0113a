import Logging
import WirebankPostgres

/// The tables of the jobs layer, created in each service's own database.
public enum JobsSchema {
  /// The migration component the tables are recorded under.
  public static let component = "wirebank_jobs"

  /// The channel `NOTIFY` wakes workers on; the payload is the queue name, followed by U+001F
  /// and the announcing dispatcher's id when a `JobAnnouncer` sent it.
  public static let notificationChannel = "wirebank_jobs"

  /// A notification's payload: its queue and, if a `JobAnnouncer` sent it, the dispatcher's id.
  static func notification(_ payload: String) -> (queue: Substring, sender: Substring?) {
    let parts = payload.split(separator: "\u{1F}", maxSplits: 1, omittingEmptySubsequences: false)
    return (parts[0], parts.count > 1 ? parts[1] : nil)
  }

  /// The SQLSTATE `wirebank_jobs_fence` raises: a job's completion found its lease lost.
  static let leaseLostCode = PostgresError.Code(rawValue: "WJ001")

  /// Creates or updates the jobs, inbox and idempotency-key tables (at start-up, before workers).
  @discardableResult
  public static func migrate(pool: PostgresPool, logger: Logger) async throws -> MigrationReport {
    try await PostgresMigrator.migrate(migrations, component: component, pool: pool, logger: logger)
  }

  /// The migrations, for services that run them with their own.
  public static let migrations = [
    Migration(
      version: 1, name: "jobs",
      sql: """
        CREATE TABLE wirebank_jobs (
          id bigserial PRIMARY KEY,
          queue text NOT NULL,
          kind text NOT NULL,
          payload bytea NOT NULL,
          state text NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'running', 'succeeded', 'dead')),
          unique_key text UNIQUE,
          attempts integer NOT NULL DEFAULT 0,
          max_attempts integer NOT NULL CHECK (max_attempts > 0),
          -- When a pending job may start, or when a running job's lease ends.
          available_at timestamptz NOT NULL DEFAULT now(),
          locked_by text,
          last_error text,
          created_at timestamptz NOT NULL DEFAULT now(),
          finished_at timestamptz
        ) WITH (fillfactor = 80);
        -- Matches the claim's ORDER BY, so a claim reads only the rows it takes.
        CREATE INDEX wirebank_jobs_claimable ON wirebank_jobs (queue, available_at, id)
          WHERE state IN ('pending', 'running');
        CREATE INDEX wirebank_jobs_finished ON wirebank_jobs (finished_at)
          WHERE state = 'succeeded';
        """),
    Migration(
      version: 2, name: "inbox",
      sql: """
        CREATE TABLE wirebank_inbox (
          sender text NOT NULL,
          message_id text NOT NULL,
          received_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (sender, message_id)
        );
        CREATE INDEX wirebank_inbox_received ON wirebank_inbox (received_at);
        """),
    Migration(
      version: 3, name: "idempotency keys",
      sql: """
        CREATE TABLE wirebank_idempotency_keys (
          scope text NOT NULL,
          key text NOT NULL,
          fingerprint bytea NOT NULL,
          state text NOT NULL CHECK (state IN ('in_flight', 'completed')),
          response bytea,
          lock_token uuid,
          created_at timestamptz NOT NULL,
          locked_until timestamptz,
          PRIMARY KEY (scope, key)
        );
        CREATE INDEX wirebank_idempotency_keys_created ON wirebank_idempotency_keys (created_at);
        """),
    Migration(
      version: 4, name: "lease fence",
      sql: """
        -- Aborts a statement that does a job's work and completes it when the completion found
        -- the lease lost (another worker has the job): the work in that statement rolls back.
        CREATE FUNCTION wirebank_jobs_fence(job bigint, held boolean) RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
          IF NOT held THEN
            RAISE EXCEPTION 'job % lost its lease to another worker', job
              USING ERRCODE = 'WJ001';
          END IF;
          RETURN true;
        END
        $$;
        """),
    Migration(
      version: 5, name: "require",
      sql: """
        -- Aborts the statement that calls it when `ok` is false, with SQLSTATE `code`: a
        -- statement of several steps undoes them all when a later step finds that they must
        -- not stand (say, an idempotency key that another request stored first).
        CREATE FUNCTION wirebank_require(ok boolean, code text, message text) RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
          IF NOT ok THEN
            RAISE EXCEPTION '%', message USING ERRCODE = code;
          END IF;
          RETURN true;
        END
        $$;
        """),
    Migration(
      version: 6, name: "checks as domains",
      sql: """
        -- PostgreSQL reads a table's CHECK constraints again (parses and plans them) at every
        -- statement that writes the table, while a domain's check stays compiled in its type
        -- cache: the single-column rules become domains, unchanged (a violation is still
        -- SQLSTATE 23514). Rules across columns stay table constraints.
        CREATE DOMAIN wirebank_job_state AS text
          CHECK (VALUE IN ('pending', 'running', 'succeeded', 'dead'));
        CREATE DOMAIN wirebank_attempt_limit AS integer CHECK (VALUE > 0);
        CREATE DOMAIN wirebank_idempotency_state AS text
          CHECK (VALUE IN ('in_flight', 'completed'));
        ALTER TABLE wirebank_jobs
          DROP CONSTRAINT wirebank_jobs_state_check,
          DROP CONSTRAINT wirebank_jobs_max_attempts_check,
          ALTER COLUMN state TYPE wirebank_job_state,
          ALTER COLUMN max_attempts TYPE wirebank_attempt_limit;
        ALTER TABLE wirebank_idempotency_keys
          DROP CONSTRAINT wirebank_idempotency_keys_state_check,
          ALTER COLUMN state TYPE wirebank_idempotency_state;
        """),
    // Locks the table while the index is built, and a build older than this one cannot use
    // the new index (its claims would scan the table): a rollback past it rebuilds the old one.
    Migration(
      version: 7, name: "claim index of unfinished jobs",
      sql: """
        -- The claim index held the rows `state IN ('pending', 'running')`, which every lookup of
        -- a running job by its id implies (`state = 'running'`): the planner could, and under
        -- load did, take a scan of the whole claim index for those lookups instead of the
        -- primary key (its statistics, from a moment when few jobs were waiting, make it look
        -- tiny). `finished_at IS NULL` holds for the same rows (a job gets `finished_at` when it
        -- succeeds or dies, and only then), and no lookup by id implies it.
        DROP INDEX wirebank_jobs_claimable;
        CREATE INDEX wirebank_jobs_claimable ON wirebank_jobs (queue, available_at, id)
          WHERE finished_at IS NULL;
        """),
  ]
}
