"""Golden bytes from `protoc --encode` (C++ protobuf, Debian's protobuf-compiler): the peer
reads them as Python reads the same text, and its re-encoded bytes `protoc --decode` back to
the same text (and are the same bytes when the message has no map entries)."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest
from google.protobuf import text_format

from conftest import stubs
from wc_dump import canonical_dump, contains_map_entries, strict_dump
from wc_instances import instances
from wc_stubs import PROTOS, grpc_tools_include

GOLDEN = {
    "simple-request": ("grpc.testing.SimpleRequest", """
response_type: COMPRESSABLE
response_size: 314159
payload { type: COMPRESSABLE body: "\\000\\001\\002\\377 binary \\"quoted\\" \\\\" }
fill_username: true
response_compressed { value: true }
response_status { code: -2 message: "Привет, мир 😀 e\\314\\201" }
expect_compressed { }
fill_grpclb_route_type: true
"""),
    "simple-request-unknown-enum": ("grpc.testing.SimpleRequest", """
response_type: -7
response_size: -2147483648
payload { type: 2147483647 }
"""),
    "money": ("wirebank.common.v1.Money", """
amount_minor: -9223372036854775808
currency: "RUB"
"""),
    "money-max": ("wirebank.common.v1.Money", """
amount_minor: 9223372036854775807
currency: "EUR"
"""),
    "loan-application": ("wirebank.lending.origination.v1.SubmitApplicationRequest", """
idempotency_key: "5b2f1c7e-8a8e-4e2a-9d6c-0c9f3b1e2a41"
applicant {
  identity_document {
    kind: IDENTITY_DOCUMENT_KIND_PASSPORT
    issuing_country: "RU"
    series: "4510"
    number: "123456"
  }
  first_name: "Иван"
  last_name: "Петров"
  middle_name: "Сергеевич"
  birth_date { year: 1985 month: 7 day: 14 }
  email: "ivan.petrov@example.ru"
  phone: "+79991234567"
  monthly_income { amount_minor: 12000000 currency: "RUB" }
}
terms {
  product_code: "CASH_LOAN"
  principal { amount_minor: 50000000 currency: "RUB" }
  term_months: 24
}
metadata { key: "channel" value: "mobile" }
metadata { key: "partner" value: "acme" }
metadata { key: "" value: "" }
"""),
    "application-with-decision": ("wirebank.lending.origination.v1.Application", """
application_id: "app-42"
terms { product_code: "CASH_LOAN" term_months: 12 }
status: APPLICATION_STATUS_NEW
decision {
  decision_id: "dec-1"
  application_id: "app-42"
  outcome: DECISION_OUTCOME_APPROVED
  reason_codes: REASON_CODE_AGE_OUT_OF_RANGE
  reason_codes: 99
  reason_codes: -1
  rules { rule_id: "PTI_LIMIT" passed: true explanation: "payment-to-income 43.10% <= 50.00%" }
  rules { rule_id: "AGE" }
  payment_to_income_bp: 4310
  policy_version: "2024-05-01"
  decided_at { seconds: 1717171717 nanos: 999999999 }
}
cancel_reason: ""
created_at { seconds: -62135596800 }
updated_at { }
"""),
    "orca-report-maps": ("grpc.testing.TestOrcaReport", """
cpu_utilization: 0.1
memory_utilization: inf
request_cost { key: "nan" value: nan }
request_cost { key: "neg" value: -inf }
request_cost { key: "tiny" value: 5e-324 }
request_cost { key: "big" value: 1e16 }
utilization { key: "a" value: 1e-05 }
"""),
    "event-envelope-oneof": ("wirebank.tracker.events.v1.EventEnvelope", """
event_id: "evt-1"
name: "TaskAssigned"
version: 1
occurred_at { seconds: 1 nanos: 1 }
producer: "tasks"
sequence: 9007199254740993
headers { key: "trace_id" value: "abc" }
task_assigned { }
"""),
    "list-applications-optional-defaults": ("wirebank.lending.origination.v1.ListApplicationsRequest", """
status: APPLICATION_STATUS_UNSPECIFIED
identity_document_number: ""
"""),
    "create-bill-settlement": ("wirebank.billing.integration.v1.CreateBillRequest", """
idempotency_key: "k"
operation: 2
settlement { settlement_sum { amount_minor: 1 currency: "USD" } }
"""),
    "reconnect-info-packed": ("grpc.testing.ReconnectInfo", """
passed: true
backoff_ms: 0
backoff_ms: -1
backoff_ms: 2147483647
backoff_ms: 300
"""),
}


def _include() -> pathlib.Path:
    usr = pathlib.Path("/usr/include")
    if (usr / "google" / "protobuf" / "timestamp.proto").is_file():
        return usr
    return grpc_tools_include()


def _protoc(mode: str, name: str, data: bytes) -> bytes:
    protoc = shutil.which("protoc")
    if protoc is None:
        pytest.fail("protoc not found: install Debian's protobuf-compiler (and libprotobuf-dev "
                    "for /usr/include/google/protobuf)")
    result = subprocess.run(
        [protoc, f"--{mode}={name}", f"-I{PROTOS}", f"-I{_include()}", stubs().file_of(name)],
        input=data, capture_output=True, cwd=PROTOS)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def _read_text(name: str, text: bytes) -> str:
    """protoc's text output read back by Python, as a strict dump (for map messages, whose
    entries may come in another order and with empty keys/values left out)."""
    return strict_dump(text_format.Parse(text.decode(), stubs().message_class(name)()))


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_protoc_golden_bytes_roundtrip(peer, case):
    name, text = GOLDEN[case]
    golden = _protoc("encode", name, text.encode())
    python = text_format.Parse(text, stubs().message_class(name)())
    # Python reads protoc's bytes as the text says (validates the golden input itself).
    assert strict_dump(stubs().message_class(name).FromString(golden)) == strict_dump(python)

    answer = peer.roundtrip(name, golden)
    assert answer.ok, answer
    assert answer.dump == canonical_dump(python)

    decoded_golden = _protoc("decode", name, golden)
    decoded_back = _protoc("decode", name, answer.data)
    if contains_map_entries(python):
        # Map entries come back in Wirebank's order, and an entry's empty key or value may be
        # left out (DESIGN.md): the same message, not the same text.
        assert _read_text(name, decoded_back) == _read_text(name, decoded_golden) == \
            strict_dump(python)
    else:
        assert decoded_back == decoded_golden
        assert answer.data == golden, f"protoc {golden.hex()}\nwirebank {answer.data.hex()}"


def test_protoc_reads_wirebank_bytes_as_python_bytes(peer):
    """A second real reader: for a few types, protoc --decode of Wirebank's re-encoded bytes
    equals protoc --decode of Python's bytes (modulo map order) for the seeded instances."""
    for name in ["grpc.testing.SimpleRequest", "wirebank.lending.origination.v1.Application",
                 "wirebank.billing.integration.v1.GetBillsByDealerResponse"]:
        for label, message in instances(stubs().message_class(name))[:10]:
            sent = message.SerializeToString()
            answer = peer.roundtrip(name, sent)
            assert answer.ok, (name, label, answer)
            if contains_map_entries(message):
                assert _read_text(name, _protoc("decode", name, answer.data)) == \
                    _read_text(name, _protoc("decode", name, sent)), (name, label)
            else:
                assert _protoc("decode", name, answer.data) == _protoc("decode", name, sent), \
                    (name, label)
