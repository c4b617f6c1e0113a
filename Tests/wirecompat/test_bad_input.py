"""Malformed input to the Swift peer: an `err` answer with the right code, never a crash.

After every bad input the same peer process must still answer a valid request. Where Python's
`protobuf` rejects the input too, that is checked as well, so the suite shows both readers
agree on what is invalid.
"""

from __future__ import annotations

import functools
import re

import pytest
from google.protobuf.message import DecodeError

from conftest import stubs
from wc_dump import is_map
from wc_wire import (EGROUP, LEN, SGROUP, field_len, field_varint, nested_chain, tag,
                     varint)

MONEY = "wirebank.common.v1.Money"
ECHO = "grpc.testing.EchoStatus"                 # 1: int32 code, 2: string message
SIMPLE = "grpc.testing.SimpleRequest"            # 3: Payload payload, 7: EchoStatus status
APPLICATION = "wirebank.lending.origination.v1.Application"  # 8: map<string, string> metadata
DECISION = "wirebank.lending.scoring.v1.Decision"  # 5: repeated RuleResult rules
RECONNECT_INFO = "grpc.testing.ReconnectInfo"    # 2: repeated int32 backoff_ms (packed)
BALANCE_CHANGE = "wirebank.tracker.accounting.v1.BalanceChange"  # oneof: 5 task_id, 6 payout_id
DELIVER_RESPONSE = "wirebank.tracker.events.v1.DeliverEventsResponse"  # 1: repeated string

GOOD_MONEY = field_varint(1, 1234) + field_len(2, b"EUR")


def python_rejects(name: str, data: bytes) -> bool:
    try:
        stubs().message_class(name).FromString(data)
    except DecodeError:
        return True
    return False


@pytest.fixture
def survivor(peer):
    """The peer; after the test it must answer a valid request from the same process."""
    pid, crashes = peer.pid, len(peer.crashes)
    yield peer
    assert len(peer.crashes) == crashes, peer.crashes[crashes:]
    assert peer.pid == pid, "the peer was restarted"
    answer = peer.roundtrip(MONEY, GOOD_MONEY)
    assert answer.ok and answer.data == GOOD_MONEY, answer


def _offset(description: str) -> int:
    found = re.search(r" at byte (\d+)", description)
    assert found, description
    return int(found.group(1))


def _path(description: str) -> str:
    found = re.search(r" in field (\S+)$", description)
    return found.group(1) if found else ""


# (id, message, bytes, code, field path or None, offset or None, python also rejects)
STRUCTURAL = [
    ("empty-tag-only", MONEY, tag(1, 0), "truncated", "amount_minor", 1, True),
    ("truncated-varint", MONEY, b"\x08\xff\xff", "truncated", "amount_minor", 3, True),
    ("truncated-fixed64", "grpc.testing.TestOrcaReport", b"\x09\x00\x00\x00", "truncated",
     "cpu_utilization", 4, True),
    ("truncated-tag", MONEY, GOOD_MONEY + b"\x80", "truncated", "", None, True),
    ("truncated-message-cut", APPLICATION,
     field_len(1, b"app-1") + field_len(8, field_len(1, b"k") + field_len(2, b"v"))[:-2],
     "truncated", "metadata", None, True),
    ("length-past-end", MONEY, tag(2, LEN) + varint(10) + b"EUR", "truncated", "currency",
     None, True),
    ("length-huge", MONEY, tag(2, LEN) + varint(2**63) + b"EUR", "truncated", "currency", None,
     True),
    ("nested-length-past-end", SIMPLE,
     field_len(3, field_len(2, b"ab")[:-1]), "truncated", "payload.body", None, True),
    ("overlong-varint-11-bytes", MONEY, tag(1, 0) + b"\xff" * 10 + b"\x01",
     "malformedVarint", "amount_minor", 1, True),
    ("overlong-varint-tag", MONEY, b"\x80" * 10 + b"\x00", "malformedVarint", "", 0, True),
    ("wire-type-6", MONEY, bytes([1 << 3 | 6]) + b"\x00", "invalidWireType", "amount_minor", 0,
     True),
    ("wire-type-7", MONEY, bytes([1 << 3 | 7]) + b"\x00", "invalidWireType", "amount_minor", 0,
     True),
    ("wire-type-6-unknown-field", MONEY, GOOD_MONEY + tag(99, 6) + b"\x00", "invalidWireType",
     "", len(GOOD_MONEY), True),
    ("wire-type-7-nested", SIMPLE, field_len(3, tag(9, 7) + b"\x00"), "invalidWireType",
     "payload", 2, True),
    ("group-start-known-field", MONEY, tag(1, SGROUP) + tag(1, EGROUP), "groupNotSupported",
     "amount_minor", 0, False),  # Python: wrong wire type for the field, kept as unknown
    ("group-start-unknown-field", MONEY,
     GOOD_MONEY + tag(50, SGROUP) + field_varint(1, 1) + tag(50, EGROUP), "groupNotSupported",
     "", len(GOOD_MONEY), False),  # Python keeps a well-formed unknown group as unknown
    ("group-end-alone", MONEY, GOOD_MONEY + tag(50, EGROUP), "groupNotSupported", "",
     len(GOOD_MONEY), True),
    ("group-in-nested-message", SIMPLE,
     field_len(7, tag(60, SGROUP) + tag(60, EGROUP)), "groupNotSupported", "response_status",
     2, False),
    ("field-number-0", MONEY, tag(0, 0) + b"\x01", "invalidFieldNumber", "", 0, True),
    ("packed-truncated-varint", RECONNECT_INFO, field_len(2, b"\x01\x80"), "truncated",
     "backoff_ms", None, True),
]


@pytest.mark.parametrize("case", STRUCTURAL, ids=[c[0] for c in STRUCTURAL])
def test_structural_faults(survivor, case):
    _, name, data, code, path, offset, python_too = case
    answer = survivor.roundtrip(name, data)
    assert not answer.ok, f"accepted {data.hex()}: {answer}"
    assert answer.code == code, answer
    assert _path(answer.description) == path, answer
    if offset is not None:
        assert _offset(answer.description) == offset, answer
    if python_too:
        assert python_rejects(name, data), "Python accepts this input"
    dump = survivor.dump(name, data)
    assert not dump.ok and dump.code == code, dump


BAD_UTF8 = [
    ("lone-continuation", b"\x80"),
    ("continuation-run", b"a\xbf\xbfb"),
    ("overlong-2-byte-slash", b"\xc0\xaf"),
    ("overlong-2-byte-nul", b"\xc0\x80"),
    ("overlong-c1", b"\xc1\xbf"),
    ("overlong-3-byte", b"\xe0\x80\xaf"),
    ("overlong-3-byte-max", b"\xe0\x9f\xbf"),
    ("overlong-4-byte", b"\xf0\x80\x80\xaf"),
    ("overlong-4-byte-max", b"\xf0\x8f\xbf\xbf"),
    ("surrogate-high-d800", b"\xed\xa0\x80"),
    ("surrogate-low-dfff", b"\xed\xbf\xbf"),
    ("surrogate-pair-cesu8", b"\xed\xa0\xbd\xed\xb8\x80"),
    ("above-10ffff-f4-90", b"\xf4\x90\x80\x80"),
    ("above-10ffff-f5", b"\xf5\x80\x80\x80"),
    ("f8-5-byte-form", b"\xf8\x88\x80\x80\x80"),
    ("fe", b"\xfe"),
    ("ff", b"\xff"),
    ("truncated-3-byte-at-end", b"ok\xe4\xb8"),
    ("truncated-3-byte-mid", b"\xe4\xb8A"),
    ("truncated-4-byte-at-end", b"\xf0\x9f\x98"),
    ("latin1", "café".encode("latin-1")),
    ("after-8-ascii-bytes", b"abcdefgh\xc3"),  # past the validator's 8-byte fast path
]


def _string_carriers(bad: bytes):
    """(id, message name, bytes, expected field path, offset of the bad string payload)."""
    simple_prefix = field_varint(2, 5)
    yield "top-level", ECHO, field_varint(1, 7) + field_len(2, bad), "message", 4
    nested = field_len(2, bad)
    yield ("nested", SIMPLE, simple_prefix + field_len(7, nested), "response_status.message",
           len(simple_prefix) + 4)
    entry = field_len(1, bad) + field_len(2, b"v")
    yield "map-key", APPLICATION, field_len(8, entry), "metadata.key", 4
    entry = field_len(1, b"k") + field_len(2, bad)
    yield "map-value", APPLICATION, field_len(8, entry), "metadata.value", 7
    first = field_len(1, b"fine")
    yield ("repeated-second", DELIVER_RESPONSE, first + field_len(1, bad),
           "acknowledged_event_ids", len(first) + 2)
    yield "oneof-arm", BALANCE_CHANGE, field_len(6, bad), "payout_id", 2
    first = field_len(5, field_len(1, b"AGE"))
    second = field_len(5, field_len(1, b"PTI") + field_len(4, bad))
    yield ("repeated-message-element", DECISION, first + second, "rules.explanation",
           len(first) + 2 + 5 + 2)


def _utf8_cases():
    for label, bad in BAD_UTF8:
        for carrier, name, data, path, start in _string_carriers(bad):
            yield pytest.param(name, data, path, start, bad, id=f"{label}-in-{carrier}")


@pytest.mark.parametrize("name,data,path,start,bad", list(_utf8_cases()))
def test_invalid_utf8_in_string_fields(survivor, name, data, path, start, bad):
    answer = survivor.roundtrip(name, data)
    assert not answer.ok, f"accepted invalid UTF-8 {bad.hex()}: {answer}"
    assert answer.code == "invalidUTF8", answer
    assert _path(answer.description) == path, answer
    offset = _offset(answer.description)
    assert start <= offset < start + len(bad), (start, answer)
    assert python_rejects(name, data), "Python accepts this input"


@pytest.mark.parametrize("text", [b"\x00", b"a\x00b", b"abcdefghijklmnop\x00",
                                  "привет\x00".encode()],
                         ids=["only-nul", "nul-inside", "nul-after-fast-path", "nul-after-utf8"])
def test_nul_in_string_is_refused(survivor, text):
    for carrier, name, data, path, start in _string_carriers(text):
        answer = survivor.roundtrip(name, data)
        assert not answer.ok, f"{carrier}: accepted U+0000: {answer}"
        assert answer.code == "nulInString", (carrier, answer)
        assert _path(answer.description) == path, (carrier, answer)
        assert _offset(answer.description) == start + text.index(b"\x00"), (carrier, answer)
        # Valid for every other implementation: Wirebank refuses it on purpose.
        assert not python_rejects(name, data)


def test_nul_is_fine_in_bytes_fields(survivor):
    data = field_len(3, field_len(2, b"\x00a\x00"))
    answer = survivor.roundtrip(SIMPLE, data)
    assert answer.ok and answer.data == data, answer


def test_wire_type_mismatch_on_a_known_field_is_refused(survivor):
    """Documented Wirebank behaviour (ProtobufDecodingError.Code.invalidWireType): a known
    field with a wire type that does not fit its type is an error. Google's implementations
    keep such a field as an unknown field instead; this test pins the difference."""
    data = GOOD_MONEY + field_varint(2, 5)  # currency (string) sent as a varint
    answer = survivor.roundtrip(MONEY, data)
    assert not answer.ok and answer.code == "invalidWireType", answer
    assert _path(answer.description) == "currency" and _offset(answer.description) == len(
        GOOD_MONEY)
    assert not python_rejects(MONEY, data)


@functools.cache
def deepest_chain() -> tuple[str, list[tuple[int, str]]]:
    """The longest chain of message fields (singular or repeated; map entries excluded, as
    they drop unknown fields) in the contracts: (root, [(number, name)])."""
    pool = stubs().pool

    @functools.cache
    def longest(full_name: str) -> tuple[tuple[int, str, str], ...]:
        best: tuple = ()
        for field in pool.FindMessageTypeByName(full_name).fields:
            if field.type != field.TYPE_MESSAGE or is_map(field):
                continue
            candidate = ((field.number, field.name, field.message_type.full_name),
                         *longest(field.message_type.full_name))
            if len(candidate) > len(best):
                best = candidate
        return best

    root = max(stubs().names, key=lambda n: (len(longest(n)), n))
    return root, [(number, name) for number, name, _ in longest(root)]


def test_contracts_have_no_recursive_message():
    """No message can contain itself, so the deepest real nesting is short; a 100,000-deep
    input can only continue below it through unknown fields (see the next test)."""
    root, chain = deepest_chain()
    assert 3 <= len(chain) <= 10, (root, chain)


def test_100k_deep_nesting_below_the_deepest_real_chain(survivor, stubs):
    root, chain = deepest_chain()
    depth = 100_000
    numbers = [number for number, _ in chain] + [99] * (depth - len(chain))
    data = nested_chain(numbers, field_varint(1, 1))
    answer = survivor.roundtrip(root, data)
    assert answer.ok, answer
    assert answer.data == data  # the innermost known message keeps the chain as unknown bytes
    back = stubs.message_class(root).FromString(answer.data)
    assert back.SerializeToString() == data


def test_deep_real_nesting_past_the_depth_limit(survivor):
    root, chain = deepest_chain()
    data = nested_chain([number for number, _ in chain], b"")
    assert survivor.roundtrip(root, data).ok
    survivor.set_limits(depth=len(chain) - 1, size=1 << 20)
    try:
        answer = survivor.roundtrip(root, data)
        assert not answer.ok and answer.code == "tooDeep", answer
        assert _path(answer.description) == ".".join(name for _, name in chain), answer
    finally:
        survivor.set_limits()


@pytest.mark.parametrize("numbers", [[3] * 100_000, [7] * 100_000],
                         ids=["payload-chain", "response-status-chain"])
def test_100k_deep_chain_through_a_message_field(survivor, numbers):
    """A 100,000-deep length-delimited chain whose outer field is a message field: its first
    level is decoded as that message, the rest are its (unknown) fields. The peer must answer
    without crashing; the bytes are a valid message (Python agrees)."""
    data = nested_chain(numbers, b"")
    answer = survivor.roundtrip(SIMPLE, data)
    assert not python_rejects(SIMPLE, data)
    assert answer.ok, answer
    assert stubs().message_class(SIMPLE).FromString(answer.data).SerializeToString() == \
        stubs().message_class(SIMPLE).FromString(data).SerializeToString()


def test_message_larger_than_the_limit(survivor):
    survivor.set_limits(depth=100, size=8)
    try:
        answer = survivor.roundtrip(MONEY, GOOD_MONEY + field_varint(1, 1))
        assert not answer.ok and answer.code == "tooLarge", answer
    finally:
        survivor.set_limits()


def test_default_size_limit_is_4_mib(survivor):
    limit = 4 * 1024 * 1024
    body = b"a" * (limit - 1 - 4)  # tag + 4-byte length prefix + body = exactly 4 MiB
    data = field_len(2, body)
    assert len(data) == limit
    answer = survivor.roundtrip("grpc.testing.Payload", data)
    assert answer.ok and answer.data == data, answer
    answer = survivor.roundtrip("grpc.testing.Payload", data + field_varint(1, 1))
    assert not answer.ok and answer.code == "tooLarge", answer


def test_bad_requests_are_answered(survivor):
    assert survivor.request("roundtrip no.such.Message AA==").startswith("err unknownType ")
    assert survivor.request("roundtrip wirebank.common.v1.Money !!!").startswith("err badRequest ")
    assert survivor.request("frobnicate").startswith("err badRequest ")
    assert survivor.request("").startswith("err badRequest ")
