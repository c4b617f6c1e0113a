"""Invalid input over real HTTP/2 from grpcio: INVALID_ARGUMENT with every offending field in
`grpc-status-details-bin`, and nothing stored."""

from __future__ import annotations

import grpc
import pytest

from lending_client import M, applicant, engine, error_details, origination, submission


def test_submission_with_many_faults_names_every_field(lending):
    request = submission("", principal=-5, months=0)
    request.applicant.first_name = " "
    request.applicant.phone = "8-999-123"
    request.applicant.email = "not an email"
    request.applicant.birth_date.year = 2200
    request.applicant.identity_document.issuing_country = "Russia"
    request.terms.product_code = "cash loan"
    request.terms.principal.currency = "rub"
    with pytest.raises(grpc.RpcError) as raised:
        origination(lending).SubmitApplication(request, timeout=10)
    error = raised.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields, info = error_details(error)
    assert set(fields) == {
        "applicant.identity_document.issuing_country", "applicant.identity_document.number",
        "applicant.first_name", "applicant.birth_date", "applicant.email", "applicant.phone",
        "terms.product_code", "terms.principal.amount_minor", "terms.principal.currency",
        "terms.term_months",
    }
    assert fields["applicant.phone"].startswith("must be in E.164 form")
    assert info.reason == "INVALID_ARGUMENT" and info.domain == "origination.lending.wirebank"
    assert "terms.term_months" in error.details()
    assert lending.scalar("origination", "SELECT count(*) FROM applications") == 0


def test_missing_parts_are_reported_as_required(lending):
    request = M.origination.SubmitApplicationRequest(idempotency_key="k" * 300)
    with pytest.raises(grpc.RpcError) as raised:
        origination(lending).SubmitApplication(request, timeout=10)
    fields, _ = error_details(raised.value)
    assert fields == {
        "idempotency_key": "must be at most 255 bytes", "applicant": "is required",
        "terms": "is required"}


@pytest.mark.parametrize("application_id, code", [
    ("not-a-uuid", grpc.StatusCode.INVALID_ARGUMENT),
    ("6f1c1c9e-0000-4000-8000-000000000000", grpc.StatusCode.NOT_FOUND),
])
def test_get_application_by_bad_or_unknown_id(lending, application_id, code):
    with pytest.raises(grpc.RpcError) as raised:
        origination(lending).GetApplication(
            M.origination.GetApplicationRequest(application_id=application_id), timeout=10)
    assert raised.value.code() == code
    fields, info = error_details(raised.value)
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        assert "application_id" in fields
    else:
        assert info.reason


def test_product_engine_rejects_an_invalid_agreement_request(lending):
    request = M.engine.CreateAgreementRequest(
        application_id="", applicant=applicant("1"),
        terms=M.applicant.LoanTerms(product_code="CASH_LOAN", term_months=0))
    with pytest.raises(grpc.RpcError) as raised:
        engine(lending).CreateAgreement(request, timeout=10)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields, info = error_details(raised.value)
    assert {"application_id", "terms.term_months"} <= set(fields)
    assert info.domain.endswith("lending.wirebank")
