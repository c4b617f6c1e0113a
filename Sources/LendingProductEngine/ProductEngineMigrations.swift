import Logging
import WirebankJobs
import WirebankPostgres

/// The Product Engine's schema, in its own database: products, clients, agreements and their
/// schedules, plus the jobs tables.
public enum ProductEngineMigrations {
  /// The component the migrations are recorded under.
  public static let component = "lending_product_engine"

  /// Applies the jobs tables' and the Product Engine's pending migrations.
  public static func migrate(pool: PostgresPool, logger: Logger) async throws {
    try await JobsSchema.migrate(pool: pool, logger: logger)
    try await PostgresMigrator.migrate(all, component: component, pool: pool, logger: logger)
  }

  /// Every migration, in order.
  public static let all = [
    Migration(
      version: 1, name: "products, clients, agreements, schedules",
      sql: """
        CREATE TABLE products (
          product_code text PRIMARY KEY CHECK (product_code ~ '^[A-Z][A-Z0-9_]{0,63}$'),
          display_name text NOT NULL,
          currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
          min_principal_minor bigint NOT NULL CHECK (min_principal_minor > 0),
          max_principal_minor bigint NOT NULL,
          min_term_months integer NOT NULL CHECK (min_term_months > 0),
          max_term_months integer NOT NULL,
          annual_rate_bp integer NOT NULL CHECK (annual_rate_bp BETWEEN 0 AND 100000),
          origination_fee_bp integer NOT NULL DEFAULT 0 CHECK (origination_fee_bp >= 0),
          active boolean NOT NULL DEFAULT true,
          CHECK (max_principal_minor >= min_principal_minor),
          CHECK (max_term_months >= min_term_months)
        );
        -- Rate overrides by term (Product.annual_rate_bp_by_term_months).
        CREATE TABLE product_term_rates (
          product_code text NOT NULL REFERENCES products,
          term_months integer NOT NULL CHECK (term_months > 0),
          annual_rate_bp integer NOT NULL CHECK (annual_rate_bp BETWEEN 0 AND 100000),
          PRIMARY KEY (product_code, term_months)
        );
        -- Clients are keyed by their identity document, trimmed and upper-cased.
        CREATE TABLE clients (
          client_id uuid PRIMARY KEY,
          document_kind integer NOT NULL,
          document_country text NOT NULL,
          document_series text NOT NULL,
          document_number text NOT NULL,
          first_name text NOT NULL,
          last_name text NOT NULL,
          middle_name text NOT NULL,
          birth_date date,
          email text NOT NULL,
          phone text NOT NULL,
          created_at timestamptz NOT NULL,
          UNIQUE (document_kind, document_country, document_series, document_number)
        );
        CREATE TABLE agreements (
          agreement_id uuid PRIMARY KEY,
          -- Keyset paging order: newest first.
          seq bigserial NOT NULL UNIQUE,
          -- Origination's application: one agreement per application, whatever the retries.
          application_id text NOT NULL UNIQUE,
          client_id uuid NOT NULL REFERENCES clients,
          product_code text NOT NULL REFERENCES products,
          currency text NOT NULL,
          principal_minor bigint NOT NULL CHECK (principal_minor > 0),
          term_months integer NOT NULL CHECK (term_months > 0),
          annual_rate_bp integer NOT NULL,
          monthly_payment_minor bigint NOT NULL CHECK (monthly_payment_minor > 0),
          origination_fee_minor bigint NOT NULL CHECK (origination_fee_minor >= 0),
          status text NOT NULL
            CHECK (status IN ('CREATED', 'PAYMENT_PENDING', 'ACTIVE', 'CLOSED', 'CANCELLED')),
          disbursement_id text UNIQUE,
          cancel_reason text,
          created_at timestamptz NOT NULL,
          payout_requested_at timestamptz,
          disbursed_at timestamptz,
          ended_at timestamptz
        );
        CREATE INDEX agreements_by_client ON agreements (client_id, seq);
        CREATE TABLE schedule_entries (
          agreement_id uuid NOT NULL REFERENCES agreements,
          period_number integer NOT NULL CHECK (period_number > 0),
          due_date date NOT NULL,
          principal_minor bigint NOT NULL CHECK (principal_minor >= 0),
          interest_minor bigint NOT NULL CHECK (interest_minor >= 0),
          total_minor bigint NOT NULL CHECK (total_minor = principal_minor + interest_minor),
          remaining_principal_minor bigint NOT NULL CHECK (remaining_principal_minor >= 0),
          paid_minor bigint NOT NULL DEFAULT 0 CHECK (paid_minor >= 0),
          -- The day the entry was paid in full (days past due are counted to it).
          paid_on date,
          PRIMARY KEY (agreement_id, period_number)
        );
        """),
    Migration(
      version: 2, name: "seed products",
      sql: """
        INSERT INTO products (product_code, display_name, currency, min_principal_minor,
          max_principal_minor, min_term_months, max_term_months, annual_rate_bp,
          origination_fee_bp, active)
        VALUES
          ('CASH_LOAN', 'Cash loan', 'RUB', 3000000, 500000000, 3, 60, 1890, 150, true),
          ('POS_INSTALLMENT', 'Point-of-sale instalments, 0%', 'RUB', 500000, 30000000, 3, 12,
            0, 0, true),
          ('CASH_LOAN_2019', 'Cash loan (2019 terms)', 'RUB', 1000000, 100000000, 6, 36, 2490,
            300, false);
        INSERT INTO product_term_rates (product_code, term_months, annual_rate_bp)
        VALUES ('CASH_LOAN', 3, 2490), ('CASH_LOAN', 6, 2290), ('CASH_LOAN', 12, 1990);
        """),
    Migration(
      version: 3, name: "checks as domains",
      sql: """
        -- The single-column rules of the tables written per agreement as domains, unchanged
        -- (why: the jobs tables' migration 6). The rule across columns stays.
        CREATE DOMAIN engine_positive_amount AS bigint CHECK (VALUE > 0);
        CREATE DOMAIN engine_amount AS bigint CHECK (VALUE >= 0);
        CREATE DOMAIN engine_count AS integer CHECK (VALUE > 0);
        CREATE DOMAIN engine_agreement_status AS text
          CHECK (VALUE IN ('CREATED', 'PAYMENT_PENDING', 'ACTIVE', 'CLOSED', 'CANCELLED'));
        ALTER TABLE agreements
          DROP CONSTRAINT agreements_principal_minor_check,
          DROP CONSTRAINT agreements_term_months_check,
          DROP CONSTRAINT agreements_monthly_payment_minor_check,
          DROP CONSTRAINT agreements_origination_fee_minor_check,
          DROP CONSTRAINT agreements_status_check,
          ALTER COLUMN principal_minor TYPE engine_positive_amount,
          ALTER COLUMN term_months TYPE engine_count,
          ALTER COLUMN monthly_payment_minor TYPE engine_positive_amount,
          ALTER COLUMN origination_fee_minor TYPE engine_amount,
          ALTER COLUMN status TYPE engine_agreement_status;
        ALTER TABLE schedule_entries
          DROP CONSTRAINT schedule_entries_period_number_check,
          DROP CONSTRAINT schedule_entries_principal_minor_check,
          DROP CONSTRAINT schedule_entries_interest_minor_check,
          DROP CONSTRAINT schedule_entries_remaining_principal_minor_check,
          DROP CONSTRAINT schedule_entries_paid_minor_check,
          ALTER COLUMN period_number TYPE engine_count,
          ALTER COLUMN principal_minor TYPE engine_amount,
          ALTER COLUMN interest_minor TYPE engine_amount,
          ALTER COLUMN remaining_principal_minor TYPE engine_amount,
          ALTER COLUMN paid_minor TYPE engine_amount;
        """),
  ]
}
