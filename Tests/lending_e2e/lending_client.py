"""Requests, calls with retries, error details and the invariants every run must keep."""

from __future__ import annotations

import time
import uuid

import grpc

import lending_stubs

M = lending_stubs.load()
STATUS = M.origination.ApplicationStatus
FINAL = {"REJECTED", "CANCELLED", "AGREEMENT_CREATED"}
# ABORTED: the same key is being served right now, or identical applications raced; both
# say "retry".
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
             grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN, grpc.StatusCode.ABORTED}
CASH_LOAN_RATES = {3: 2490, 6: 2290, 12: 1990}


def money(minor: int, currency: str = "RUB"):
    return M.money.Money(amount_minor=minor, currency=currency)


def applicant(number: str, income: int | None = 20_000_000, born=(1985, 6, 15),
              series: str = "4510"):
    person = M.applicant.Applicant(
        identity_document=M.applicant.IdentityDocument(
            kind=M.applicant.IDENTITY_DOCUMENT_KIND_PASSPORT, issuing_country="RU",
            series=series, number=number),
        first_name="Anna", last_name="Ivanova", middle_name="Sergeevna",
        birth_date=M.date.Date(year=born[0], month=born[1], day=born[2]),
        email="anna@example.org", phone="+79991234567")
    if income is not None:
        person.monthly_income.CopyFrom(money(income))
    return person


def submission(number: str, principal: int = 30_000_000, months: int = 24,
               key: str | None = None, **applicant_options):
    return M.origination.SubmitApplicationRequest(
        idempotency_key=key if key is not None else str(uuid.uuid4()),
        applicant=applicant(number, **applicant_options),
        terms=M.applicant.LoanTerms(product_code="CASH_LOAN", principal=money(principal),
                                    term_months=months),
        metadata={"channel": "e2e"})


def origination(lending):
    return M.origination_grpc.OriginationStub(lending.channels["origination"])


def engine(lending):
    return M.engine_grpc.ProductEngineStub(lending.channels["product-engine"])


def scoring(lending):
    return M.scoring_grpc.ScoringStub(lending.channels["scoring"])


def call_with_retries(method, request, timeout: float = 60, per_call: float = 5):
    """Calls until an answer that is not a transport failure; returns (response, attempts).
    Retries resend the same request (and so the same idempotency key)."""
    deadline = time.monotonic() + timeout
    attempts = 0
    delay = 0.02
    while True:
        attempts += 1
        try:
            return method(request, timeout=per_call), attempts
        except grpc.RpcError as error:
            if error.code() not in RETRYABLE or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.3)


def status_name(value: int) -> str:
    return STATUS.Name(value)[len("APPLICATION_STATUS_"):]


def error_details(error: grpc.RpcError):
    """(BadRequest field → description, ErrorInfo) from `grpc-status-details-bin`."""
    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    assert raw is not None, "no grpc-status-details-bin trailer"
    status = M.errors.Status.FromString(raw)
    assert status.code == error.code().value[0]
    fields, info = {}, None
    for detail in status.details:
        if detail.type_url == "type.googleapis.com/wirebank.common.v1.BadRequest":
            for violation in M.errors.BadRequest.FromString(detail.value).field_violations:
                fields[violation.field] = violation.description_text
        elif detail.type_url == "type.googleapis.com/wirebank.common.v1.ErrorInfo":
            info = M.errors.ErrorInfo.FromString(detail.value)
    return fields, info


def annuity(principal: int, rate_bp: int, months: int):
    """The Product Engine's schedule, recomputed independently in exact integers:
    (payment, [(period, principal, interest, remaining)])."""
    unit = 120_000
    if rate_bp == 0:
        payment = (2 * principal + months) // (2 * months)
    else:
        grown, base = (unit + rate_bp) ** months, unit ** months
        numerator, denominator = principal * rate_bp * grown, unit * (grown - base)
        payment = (2 * numerator + denominator) // (2 * denominator)
    entries, remaining = [], principal
    for period in range(1, months + 1):
        interest = (2 * remaining * rate_bp + unit) // (2 * unit)
        part = remaining if period == months else min(payment - interest, remaining)
        remaining -= part
        entries.append((period, part, interest, remaining))
    return payment, entries


def open_statuses(lending) -> int:
    return lending.scalar(
        "origination",
        "SELECT count(*) FROM applications WHERE status IN ('NEW', 'SCORING', 'ACCEPTED')")


def check_invariants(lending, expected_ids: set[str] | None = None) -> dict[str, int]:
    """Every application final; exactly one agreement per AGREEMENT_CREATED application and
    none without an application; each schedule the exact annuity; decisions agree. Returns the
    counts by status."""
    applications = {
        row[0]: {"status": row[1], "agreement": row[2].lower(), "principal": int(row[3]),
                 "months": int(row[4])}
        for row in lending.query(
            "origination",
            "SELECT application_id::text, status, coalesce(agreement_id, ''), principal_minor, "
            "term_months FROM applications")}
    if expected_ids is not None:
        assert set(applications) == expected_ids, (
            f"missing {len(expected_ids - set(applications))}, "
            f"extra {len(set(applications) - expected_ids)} applications")
    not_final = [id for id, row in applications.items() if row["status"] not in FINAL]
    assert not not_final, f"{len(not_final)} applications not final"

    agreements: dict[str, dict] = {}
    for row in lending.query(
            "product-engine",
            "SELECT application_id, agreement_id::text, status, principal_minor, term_months, "
            "annual_rate_bp, monthly_payment_minor FROM agreements"):
        assert row[0] not in agreements, f"two agreements for application {row[0]}"
        agreements[row[0]] = {"id": row[1], "status": row[2], "principal": int(row[3]),
                              "months": int(row[4]), "rate": int(row[5]), "payment": int(row[6])}
    orphans = set(agreements) - set(applications)
    assert not orphans, f"agreements without an application: {sorted(orphans)[:5]}"

    decisions = {row[0]: (row[1], row[2]) for row in lending.query(
        "scoring", "SELECT application_id, state, coalesce(outcome, '') FROM scored_applications")}

    for id, application in applications.items():
        agreement = agreements.get(id)
        status = application["status"]
        if status == "AGREEMENT_CREATED":
            assert agreement is not None, f"{id} has no agreement"
            assert agreement["id"] == application["agreement"], f"{id}: agreement id differs"
            assert agreement["status"] != "CANCELLED", f"{id}: its agreement is cancelled"
            assert (agreement["principal"], agreement["months"]) == (
                application["principal"], application["months"]), f"{id}: terms differ"
            assert decisions.get(id) == ("DECIDED", "APPROVED"), f"{id}: {decisions.get(id)}"
        elif status == "CANCELLED":
            assert agreement is None or agreement["status"] == "CANCELLED", (
                f"cancelled {id} has a live agreement")
        else:
            assert agreement is None, f"{status} application {id} has an agreement"
            assert decisions.get(id) == ("DECIDED", "REJECTED"), f"{id}: {decisions.get(id)}"

    entries: dict[str, list] = {}
    for row in lending.query(
            "product-engine",
            "SELECT agreement_id::text, period_number, principal_minor, interest_minor, "
            "total_minor, remaining_principal_minor FROM schedule_entries "
            "ORDER BY agreement_id, period_number"):
        period, principal, interest, total, remaining = map(int, row[1:])
        assert total == principal + interest
        entries.setdefault(row[0], []).append((period, principal, interest, remaining))
    for application_id, agreement in agreements.items():
        expected_rate = CASH_LOAN_RATES.get(agreement["months"], 1890)
        assert agreement["rate"] == expected_rate, f"{application_id}: rate {agreement['rate']}"
        payment, schedule = annuity(agreement["principal"], agreement["rate"], agreement["months"])
        assert agreement["payment"] == payment, f"{application_id}: payment differs"
        assert entries.get(agreement["id"]) == schedule, f"{application_id}: schedule differs"
        assert sum(entry[1] for entry in schedule) == agreement["principal"]

    counts: dict[str, int] = {}
    for application in applications.values():
        counts[application["status"]] = counts.get(application["status"], 0) + 1
    return counts


def jobs_settled(lending) -> bool:
    """No job of any service left to run (periodic purges aside) and none dead."""
    for service in ("origination", "scoring", "product-engine"):
        open_jobs = lending.scalar(
            service,
            "SELECT count(*) FROM wirebank_jobs WHERE state IN ('pending', 'running', 'dead') "
            "AND kind <> 'purge_expired_keys'")
        if open_jobs:
            return False
    return True


def dead_jobs(lending) -> int:
    return sum(lending.scalar(service, "SELECT count(*) FROM wirebank_jobs WHERE state = 'dead'")
               for service in ("origination", "scoring", "product-engine"))
