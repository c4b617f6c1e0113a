"""Duplicate submissions and retried calls over real HTTP/2: each is absorbed by the receiver
(the idempotency key, the in-flight content, the application id, the decision id), so nothing
is stored twice."""

from __future__ import annotations

import concurrent.futures
import uuid

import grpc
import pytest

from harness import wait_until
from lending_client import (
    M, applicant, call_with_retries, check_invariants, engine, error_details, jobs_settled, open_statuses,
    origination, scoring, submission)


def test_concurrent_retries_with_one_key_store_one_application(lending):
    request = submission("700001")
    stub = origination(lending)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        # A call that finds the key still being served is told ABORTED and retries.
        results = list(pool.map(
            lambda _: call_with_retries(stub.SubmitApplication, request, timeout=20), range(8)))
    responses = [response for response, _ in results]
    ids = {response.application.application_id for response in responses}
    assert len(ids) == 1
    assert sum(not response.deduplicated for response in responses) <= 1
    wait_until(lambda: open_statuses(lending) == 0, 30, "the application to finish")
    assert check_invariants(lending, ids) == {"AGREEMENT_CREATED": 1}


def test_a_key_reused_for_another_request_fails(lending):
    stub = origination(lending)
    first = submission("700002", key="same-key")
    stub.SubmitApplication(first, timeout=10)
    other = submission("700002", principal=31_000_000, key="same-key")
    with pytest.raises(grpc.RpcError) as raised:
        stub.SubmitApplication(other, timeout=10)
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    _, info = error_details(raised.value)
    assert info.reason == "IDEMPOTENCY_KEY_REUSED"


def test_identical_application_in_flight_is_returned_then_a_new_one_after(lending):
    stub = origination(lending)
    # With Scoring stopped the first application stays NEW: certainly in flight.
    assert lending.stop("scoring") == 0
    first = stub.SubmitApplication(submission("700003"), timeout=10)
    again = stub.SubmitApplication(submission("700003"), timeout=10)
    assert again.deduplicated
    assert again.application.application_id == first.application.application_id
    lending.start("scoring")
    wait_until(lambda: open_statuses(lending) == 0, 30, "the application to finish")
    # Finished: the same content is a new application (a second loan), not a duplicate.
    later = stub.SubmitApplication(submission("700003"), timeout=10)
    assert not later.deduplicated
    assert later.application.application_id != first.application.application_id
    wait_until(lambda: open_statuses(lending) == 0, 30, "the second application to finish")
    counts = check_invariants(
        lending, {first.application.application_id, later.application.application_id})
    assert counts == {"AGREEMENT_CREATED": 2}


def test_retried_internal_calls_are_answered_from_what_was_stored(lending):
    """The calls the jobs make, repeated as a retry after a lost response would repeat them."""
    response = origination(lending).SubmitApplication(submission("700004"), timeout=10)
    id = response.application.application_id
    wait_until(lambda: open_statuses(lending) == 0, 30, "the application to finish")
    application = origination(lending).GetApplication(
        M.origination.GetApplicationRequest(application_id=id), timeout=10)

    create = M.engine.CreateAgreementRequest(
        application_id=id, applicant=application.applicant, terms=application.terms)
    replay = engine(lending).CreateAgreement(create, timeout=10)
    assert not replay.created and replay.agreement.agreement_id == application.agreement_id

    score = M.scoring.ScoreApplicationRequest(
        application_id=id, applicant=application.applicant, terms=application.terms,
        submitted_at=application.created_at)
    acknowledged = scoring(lending).ScoreApplication(score, timeout=10)
    assert acknowledged.state == M.scoring.SCORING_STATE_DECIDED
    assert acknowledged.decision.decision_id == application.decision.decision_id

    report = origination(lending).ReportDecision(
        M.origination.ReportDecisionRequest(decision=application.decision), timeout=10)
    assert report.already_recorded

    wait_until(lambda: jobs_settled(lending), 30, "every job to finish")
    check_invariants(lending, {id})
    assert lending.scalar("product-engine", "SELECT count(*) FROM agreements") == 1
    assert lending.scalar("scoring", "SELECT count(*) FROM scored_applications") == 1


def test_a_replayed_agreement_request_with_other_terms_is_refused(lending):
    id = str(uuid.uuid4())
    stub = engine(lending)
    terms = M.applicant.LoanTerms(
        product_code="CASH_LOAN", principal=M.money.Money(amount_minor=30_000_000, currency="RUB"),
        term_months=24)
    created = stub.CreateAgreement(
        M.engine.CreateAgreementRequest(application_id=id, applicant=applicant("700005"),
                                        terms=terms), timeout=10)
    assert created.created
    terms.term_months = 36
    with pytest.raises(grpc.RpcError) as raised:
        stub.CreateAgreement(
            M.engine.CreateAgreementRequest(application_id=id, applicant=applicant("700005"),
                                            terms=terms), timeout=10)
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_details(raised.value)[1].reason == "APPLICATION_MISMATCH"
