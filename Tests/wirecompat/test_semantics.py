"""Decoding semantics where the wire allows several spellings of one message: Wirebank must
read each the way Python's `protobuf` does, and write the canonical one back."""

from __future__ import annotations

import struct

import pytest
from google.protobuf import unknown_fields

from conftest import stubs
from wc_dump import FD, canonical_dump, is_map, strict_dump
from wc_wire import (field_double, field_fixed32, field_fixed64, field_len, field_varint,
                     tag, varint)

MONEY = "wirebank.common.v1.Money"
SIMPLE = "grpc.testing.SimpleRequest"
ORCA = "grpc.testing.TestOrcaReport"
RECONNECT_INFO = "grpc.testing.ReconnectInfo"
DECISION = "wirebank.lending.scoring.v1.Decision"
APPLICATION = "wirebank.lending.origination.v1.Application"
PRODUCT = "wirebank.lending.product_engine.v1.Product"
BILLS_RESPONSE = "wirebank.billing.integration.v1.GetBillsByDealerResponse"
ENVELOPE = "wirebank.tracker.events.v1.EventEnvelope"
BALANCE_CHANGE = "wirebank.tracker.accounting.v1.BalanceChange"
LIST_APPLICATIONS = "wirebank.lending.origination.v1.ListApplicationsRequest"


def parse(name: str, data: bytes):
    return stubs().message_class(name).FromString(data)


def agree(peer, name: str, data: bytes):
    """Wirebank reads `data` as Python does: its dump matches, and its re-encoded bytes are
    read back by Python as the same message. Returns (python message, peer answer)."""
    expected = parse(name, data)
    answer = peer.roundtrip(name, data)
    assert answer.ok, answer
    assert answer.dump == canonical_dump(expected), (answer.dump, canonical_dump(expected))
    assert strict_dump(parse(name, answer.data)) == strict_dump(expected)
    return expected, answer


# -- defaults ---------------------------------------------------------------------------

def _default_on_the_wire(field) -> bytes:
    kind, number = field.type, field.number
    if kind in (FD.TYPE_STRING, FD.TYPE_BYTES):
        return field_len(number, b"")
    if kind in (FD.TYPE_DOUBLE, FD.TYPE_FIXED64, FD.TYPE_SFIXED64):
        return field_fixed64(number, 0)
    if kind in (FD.TYPE_FLOAT, FD.TYPE_FIXED32, FD.TYPE_SFIXED32):
        return field_fixed32(number, 0)
    return field_varint(number, 0)


def _all_defaults(descriptor) -> bytes:
    """Every implicit-presence scalar written explicitly at its default, and every packable
    repeated field as an empty packed run: all of it means 'nothing set'."""
    out = b""
    for field in sorted(descriptor.fields, key=lambda f: f.number):
        if field.has_presence or field.type == FD.TYPE_MESSAGE:  # messages, maps, optionals
            continue
        if field.is_repeated:
            if field.type not in (FD.TYPE_STRING, FD.TYPE_BYTES):
                out += field_len(field.number, b"")
            continue
        out += _default_on_the_wire(field)
    return out


def test_empty_input_and_explicit_defaults_reencode_to_nothing(peer):
    problems = []
    checked = 0
    for name in stubs().names:
        descriptor = stubs().pool.FindMessageTypeByName(name)
        for data in (b"", _all_defaults(descriptor)):
            assert parse(name, data).SerializeToString() == b""
            answer = peer.roundtrip(name, data)
            if not (answer.ok and answer.data == b"" and answer.dump == ""):
                problems.append(f"{name} {data.hex()}: {answer}")
            checked += len(data) > 0
    assert checked > 80
    assert not problems, problems[:5]


def test_presence_fields_at_their_default_are_written(peer):
    # proto3 optional enum and string set to their default, oneof string arm set to "".
    for name, data in [
        (LIST_APPLICATIONS, field_varint(2, 0)),
        (LIST_APPLICATIONS, field_len(3, b"")),
        (LIST_APPLICATIONS, field_varint(2, 0) + field_len(3, b"")),
        (BALANCE_CHANGE, field_len(5, b"")),
        (BALANCE_CHANGE, field_len(6, b"")),
        (ENVELOPE, field_len(10, b"")),  # oneof message arm, empty
        (SIMPLE, field_len(3, b"")),     # singular message, empty
    ]:
        _, answer = agree(peer, name, data)
        assert answer.data == data, (name, answer)
        assert answer.dump != ""


# -- repeated scalars: packed and unpacked -------------------------------------------------

INT32S = [0, 1, -1, 300, 2**31 - 1, -(2**31), 150]


@pytest.mark.parametrize("name,number,values", [
    (RECONNECT_INFO, 2, INT32S),
    (DECISION, 4, [1, 2, 0, -1, 99, -(2**31), 2**31 - 1]),  # repeated enum, unknown values too
], ids=["int32", "enum"])
def test_packed_and_unpacked_repeated_scalars_read_the_same(peer, name, number, values):
    packed = field_len(number, b"".join(varint(v) for v in values))
    unpacked = b"".join(field_varint(number, v) for v in values)
    mixed = (b"".join(field_varint(number, v) for v in values[:2])
             + field_len(number, b"".join(varint(v) for v in values[2:5]))
             + b"".join(field_varint(number, v) for v in values[5:]))
    reference = parse(name, packed)
    assert list(getattr(reference, reference.DESCRIPTOR.fields_by_number[number].name)) == values
    for data in (packed, unpacked, mixed):
        assert strict_dump(parse(name, data)) == strict_dump(reference)
        _, answer = agree(peer, name, data)
        assert answer.data == packed, f"{data.hex()} re-encoded as {answer.data.hex()}"


# -- unknown fields -----------------------------------------------------------------------

UNKNOWN = (field_varint(1000, 300) + field_fixed64(1001, 0x0102030405060708)
           + field_len(1002, b"hello\x00\xff") + field_fixed32(1003, 0xDEADBEEF)
           + field_varint(1004, -1) + field_len(536870911, b"") + field_varint(16, 1))
UNKNOWN_EXPECTED = [(1000, 0, 300), (1001, 1, 0x0102030405060708), (1002, 2, b"hello\x00\xff"),
                    (1003, 5, 0xDEADBEEF), (1004, 0, 2**64 - 1), (536870911, 2, b""),
                    (16, 0, 1)]


def _unknowns(message):
    return [(f.field_number, f.wire_type, f.data)
            for f in unknown_fields.UnknownFieldSet(message)]


def test_unknown_fields_of_every_wire_type_survive(peer):
    known = field_varint(1, 1234) + field_len(2, b"EUR")
    data = known + UNKNOWN
    message, answer = agree(peer, MONEY, data)
    assert answer.data == data
    assert _unknowns(parse(MONEY, answer.data)) == UNKNOWN_EXPECTED
    assert answer.dump.splitlines()[-1].startswith('[unknown]: "\\xc0>\\xac\\x02'), answer.dump
    assert message.amount_minor == 1234


def test_unknown_fields_before_known_ones_move_after_them(peer):
    known = field_varint(1, 5) + field_len(2, b"RUB")
    _, answer = agree(peer, MONEY, UNKNOWN + known)
    assert answer.data == known + UNKNOWN


def test_unknown_fields_in_nested_and_repeated_messages_survive(peer):
    payload = field_varint(1, 1) + field_len(2, b"body") + UNKNOWN
    data = field_len(3, payload) + field_len(7, field_varint(1, 2) + UNKNOWN)
    _, answer = agree(peer, SIMPLE, data)
    assert answer.data == data
    rule = field_len(1, b"PTI") + UNKNOWN
    data = field_len(1, b"d-1") + field_len(5, field_len(1, b"A")) + field_len(5, rule)
    _, answer = agree(peer, DECISION, data)
    assert answer.data == data
    assert _unknowns(parse(DECISION, answer.data).rules[1]) == UNKNOWN_EXPECTED


# -- last one wins, merging -------------------------------------------------------------

def test_singular_scalar_last_one_wins(peer):
    data = field_varint(1, 1) + field_len(2, b"EUR") + field_varint(1, 2) + field_len(2, b"USD")
    message, answer = agree(peer, MONEY, data)
    assert (message.amount_minor, message.currency) == (2, "USD")
    assert answer.data == field_varint(1, 2) + field_len(2, b"USD")


@pytest.mark.parametrize("name,data", [
    pytest.param(SIMPLE, field_len(3, field_varint(1, 1)) + field_len(3, field_len(2, b"b")), id="earlier-enum"),
    pytest.param(SIMPLE, field_len(7, field_varint(1, 5)) + field_len(7, field_len(2, b"m")), id="earlier-int32"),
    pytest.param(SIMPLE, field_len(3, field_len(2, b"b")) + field_varint(2, 10)
                 + field_len(3, field_varint(1, 1)), id="earlier-bytes"),
    pytest.param(SIMPLE, field_len(7, field_len(2, b"m")) + field_len(7, field_varint(1, 5)),
                 id="earlier-string"),
    pytest.param(APPLICATION, field_len(3, field_len(2, field_varint(1, 5)))
                 + field_len(3, field_varint(3, 12)), id="earlier-message"),
    pytest.param(APPLICATION, field_len(3, field_len(2, field_len(2, b"EUR")))
                 + field_len(3, field_len(2, field_varint(1, 7))), id="nested-twice"),
])
def test_singular_message_occurrences_merge(peer, name, data):
    agree(peer, name, data)


@pytest.mark.parametrize("name,data,arm", [
    (ENVELOPE, field_len(10, field_len(1, b"u1")) + field_len(11, field_len(1, b"t1")),
     "task_created"),
    (ENVELOPE, field_len(11, field_len(1, b"t1")) + field_len(10, field_len(1, b"u1")),
     "user_created"),
    (ENVELOPE, field_len(10, field_len(1, b"u1")) + field_len(11, field_len(1, b"t1"))
     + field_len(10, field_len(2, b"login")), "user_created"),
    pytest.param(ENVELOPE, field_len(10, field_len(1, b"u1"))
                 + field_len(10, field_len(2, b"login")), "user_created",
                 id="same-arm-merges"),
    (BALANCE_CHANGE, field_len(5, b"task") + field_len(6, b"payout"), "payout_id"),
    (BALANCE_CHANGE, field_len(6, b"payout") + field_len(5, b""), "task_id"),
    (BALANCE_CHANGE, field_len(5, b"a") + field_len(1, b"c") + field_len(5, b"b"), "task_id"),
], ids=["message-arms", "message-arms-reversed", "back-to-first-arm", "same-arm-merges",
        "string-arms", "string-arm-to-empty", "same-string-arm"])
def test_oneof_last_one_wins(peer, name, data, arm):
    message, _ = agree(peer, name, data)
    oneof = message.DESCRIPTOR.fields_by_name[arm].containing_oneof.name
    assert message.WhichOneof(oneof) == arm


@pytest.mark.parametrize("name,data,expected", [
    (APPLICATION, field_len(8, field_len(1, b"k") + field_len(2, b"1"))
     + field_len(8, field_len(1, b"j") + field_len(2, b"x"))
     + field_len(8, field_len(1, b"k") + field_len(2, b"2")), {"k": "2", "j": "x"}),
    (PRODUCT, field_len(9, field_varint(1, 12) + field_varint(2, 100))
     + field_len(9, field_varint(1, 12) + field_varint(2, 200)), {12: 200}),
    (PRODUCT, field_len(9, field_varint(1, -1) + field_varint(2, 1))
     + field_len(9, field_varint(1, -1) + field_varint(2, -7)), {-1: -7}),
    (BILLS_RESPONSE, field_len(3, field_len(1, b"EUR") + field_len(2, field_varint(1, 5)))
     + field_len(3, field_len(1, b"EUR") + field_len(2, field_len(2, b"EUR"))),
     {"EUR": (0, "EUR")}),  # the whole value is replaced, not merged
], ids=["string-map", "int32-map", "negative-key", "message-values-replace"])
def test_duplicate_map_keys_last_one_wins(peer, name, data, expected):
    message, _ = agree(peer, name, data)
    field = next(f for f in message.DESCRIPTOR.fields if is_map(f))
    entries = getattr(message, field.name)
    got = {k: (v.amount_minor, v.currency) if hasattr(v, "currency") else v
           for k, v in entries.items()}
    assert got == expected


@pytest.mark.parametrize("entry", [
    b"",                                                  # no key, no value
    field_len(2, b"v"),                                   # value only
    field_len(1, b"k"),                                   # key only
    field_len(2, b"v") + field_len(1, b"k"),              # value before key
    field_len(1, b"a") + field_len(1, b"k") + field_len(2, b"v"),  # key twice
], ids=["empty-entry", "value-only", "key-only", "value-first", "key-twice"])
def test_map_entry_spellings(peer, entry):
    agree(peer, APPLICATION, field_len(8, entry))


def test_map_entry_with_an_unknown_field(peer):
    """protoc (C++) reads the entry's key and value and ignores its unknown field; Python's upb
    instead keeps the whole entry as an unknown field of the parent. Wirebank does as C++."""
    data = field_len(8, field_len(1, b"k") + field_len(2, b"v") + field_varint(3, 1))
    answer = peer.roundtrip(APPLICATION, data)
    assert answer.ok, answer
    assert answer.dump == 'metadata {\n  key: "k"\n  value: "v"\n}\n'
    assert dict(parse(APPLICATION, answer.data).metadata) == {"k": "v"}


def test_map_entry_with_missing_message_value(peer):
    message, _ = agree(peer, BILLS_RESPONSE, field_len(3, field_len(1, b"EUR")))
    assert "EUR" in message.outstanding_by_currency


# -- lenient varints --------------------------------------------------------------------

@pytest.mark.parametrize("name,data", [
    (MONEY, b"\x08\x81\x80\x80\x80\x00"),                       # non-minimal varint
    (MONEY, b"\x88\x80\x80\x00\x01"),                           # non-minimal tag
    ("grpc.testing.ResponseParameters", field_varint(1, (1 << 40) | 7)),  # int32, high bits
    ("grpc.testing.ResponseParameters", field_varint(1, (1 << 32) - 1)),  # int32 as uint32
    ("grpc.testing.BoolValue", field_varint(1, 2)),
    ("grpc.testing.BoolValue", field_varint(1, 1 << 63)),
    ("grpc.testing.BoolValue", b"\x08\x80\x00"),                # false, two bytes
    (SIMPLE, field_varint(1, (1 << 32) | 5)),                   # enum with high bits
    (SIMPLE, field_varint(1, -5)),                              # negative enum (unknown)
], ids=["varint", "tag", "int32-high-bits", "int32-as-uint32", "bool-2", "bool-high-bit",
        "bool-false-long", "enum-high-bits", "enum-negative"])
def test_lenient_varints_read_as_python_reads_them(peer, name, data):
    agree(peer, name, data)


# -- floating point -----------------------------------------------------------------------

DOUBLE_BITS = [0x7FF8000000000000, 0xFFF8000000000000, 0x7FF0000000000001,
               0x7FF8000000000123, 0x7FF0000000000000, 0xFFF0000000000000, 1, 0x8000000000000001]


@pytest.mark.parametrize("bits", DOUBLE_BITS, ids=[f"{b:016x}" for b in DOUBLE_BITS])
def test_double_bits_survive(peer, bits):
    value = struct.unpack("<Q", struct.pack("<Q", bits))[0]
    data = tag(1, 1) + struct.pack("<Q", value)
    _, answer = agree(peer, ORCA, data)
    assert answer.data == data


@pytest.mark.parametrize("data", [
    field_double(1, -0.0),
    field_len(3, field_len(1, b"a") + field_double(2, -0.0)),
], ids=["field", "map-value"])
def test_negative_zero_survives(peer, data):
    expected = parse(ORCA, data)
    answer = peer.roundtrip(ORCA, data)
    assert answer.ok
    assert answer.data == data, f"sent {data.hex()}, got back {answer.data.hex()}"
    assert strict_dump(parse(ORCA, answer.data)) == strict_dump(expected)


# -- strings ----------------------------------------------------------------------------

def test_strings_keep_their_exact_code_points(peer):
    # Canonically equivalent spellings must not be normalised (é vs e + U+0301).
    for text in ["é", "e\u0301", "\u212b", "A\u030a", "\ufb00", "\U0001f469\u200d\U0001f4bb"]:
        data = field_len(2, text.encode())
        message, answer = agree(peer, MONEY, data)
        assert answer.data == data and message.currency == text


def test_canonically_equivalent_map_keys_are_refused_not_merged(peer):
    # "é" (C3 A9) and "e\u0301" (65 CC 81) are distinct keys on the wire, but Swift's String
    # compares them equal, so a Dictionary cannot keep both: Wirebank refuses the input with a
    # clear error instead of silently losing an entry.
    data = (field_len(8, field_len(1, "é".encode()) + field_len(2, b"1"))
            + field_len(8, field_len(1, "e\u0301".encode()) + field_len(2, b"2")))
    assert len(parse(APPLICATION, data).metadata) == 2
    answer = peer.roundtrip(APPLICATION, data)
    assert not answer.ok
    assert answer.code == "ambiguousMapKey"
    # The same key twice (byte-identical) is still last-one-wins, and the peer keeps serving.
    same = (field_len(8, field_len(1, "é".encode()) + field_len(2, b"1"))
            + field_len(8, field_len(1, "é".encode()) + field_len(2, b"2")))
    agree(peer, APPLICATION, same)
