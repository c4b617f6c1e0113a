"""Seeded instances of any message type, built from its descriptor.

Every type gets the same fixed plan of `INSTANCES_PER_TYPE` instances:

0. `empty`: nothing set.
1. `max`: every field set; integers at their maximum, doubles at the largest finite value,
   every string a concatenation of all the interesting text below, bytes all 256 values,
   enums at the largest known value, repeated fields and maps with several elements, the
   first arm of each oneof, nested messages filled the same way (depth bounded at 3).
2. `min`: the same at the other end: integers at their minimum (negative int32 and enum
   values are 10-byte varints), doubles at the lowest value, enums at INT32_MIN (unknown),
   the last arm of each oneof.
3. `defaults`: fields with presence (proto3 `optional`, oneof members, messages) set to their
   default value, one default element in every repeated field and one entry of default key
   and value in every map.
4-7. `special-K`: edge values spread over the fields (NaN, ±inf, -0.0, subnormals, NaN
   payloads, integer boundaries, unknown enum values, combining characters, 4-byte UTF-8,
   control characters); `special-0` also puts 100 KB into every `bytes` field.
8-19. `random-K`: random values, each field set with probability 0.7; oneof arm (or none) by
   K so that every arm of every oneof (up to 11 arms) is covered.

Strings never hold U+0000, which Wirebank rejects on purpose (protobuf-c's strings are
NUL-terminated). Map keys are NFC-normalised (see test_semantics for why).
"""

from __future__ import annotations

import random
import struct
import unicodedata
import zlib

from google.protobuf import descriptor as _descriptor
from google.protobuf import descriptor_pb2

from wc_dump import is_map

FD = _descriptor.FieldDescriptor
INSTANCES_PER_TYPE = 20
MAX_DEPTH = 3
SEED = 20240611
BIG_BYTES = 100 * 1024
# -0.0 is written for implicit-presence doubles too (protobuf-c alone would drop it; the
# generator gives such fields a has_ flag set from the bit pattern).
AVOID_IMPLICIT_NEGATIVE_ZERO = False

INT_RANGES = {
    FD.TYPE_INT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FD.TYPE_INT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FD.TYPE_UINT32: (0, 2**32 - 1),
    FD.TYPE_FIXED32: (0, 2**32 - 1),
    FD.TYPE_UINT64: (0, 2**64 - 1),
    FD.TYPE_FIXED64: (0, 2**64 - 1),
}


def _edge_ints(low: int, high: int) -> list[int]:
    candidates = [low, low + 1, -1, 0, 1, 127, 128, 255, 16383, 16384, 2**21, 2**28 - 1,
                  2**31 - 1, 2**31, 2**32 - 1, 2**35, 2**53 + 1, 2**63 - 1, high - 1, high,
                  -128, -(2**31), -(2**31) - 1, -(2**63) + 1]
    return sorted({value for value in candidates if low <= value <= high})


def _bits(value: int) -> float:
    return struct.unpack(">d", value.to_bytes(8, "big"))[0]


SPECIAL_DOUBLES = [
    float("nan"), float("inf"), float("-inf"), -0.0, 0.0, 5e-324, -5e-324,
    2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308, 1e16, 1e-5,
    0.1, 1 / 3, 1e22, 123456789.125, -1.5, 1e-7, 9007199254740993.0,
    _bits(0x7FF8000000000123),  # quiet NaN with a payload
    _bits(0xFFF8000000000000),  # negative NaN
    _bits(0x7FF0000000000001),  # signalling NaN
]

TEXT_PIECES = [
    "a", "Z", "0", " ", "hello", "CASH_LOAN", '"', "\\", "'", "\t", "\n", "\r", "\x01", "\x1f",
    "\x7f", "\u0080", "\u009f", "é", "ß", "Ж", "привет", "中文", "日本語", "😀", "🏦",
    "👩\u200d💻", "e\u0301", "a\u0308", "\u0301", "\u0308\u0301", "\ufeff", "\u200b", "\u2028",
    "\ufffd", "\uffff", "\U0010ffff", "\U0001d11e", "ẞ", "ﬀ", "İ", "\u05d0\u05d1",
    "\u0627\u0644", "\U0001f1f7\U0001f1fa",
]
ALL_TEXT = "".join(TEXT_PIECES)


def _float32(value: float) -> float:
    try:
        return struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


_PROTO3_OPTIONAL: dict[str, set[str]] = {}


def _proto3_optional_fields(message_descriptor) -> set[str]:
    name = message_descriptor.full_name
    if name not in _PROTO3_OPTIONAL:
        proto = descriptor_pb2.DescriptorProto()
        message_descriptor.CopyToProto(proto)
        _PROTO3_OPTIONAL[name] = {f.name for f in proto.field if f.proto3_optional}
    return _PROTO3_OPTIONAL[name]


def real_oneofs(message_descriptor) -> list:
    """The message's oneofs, without the synthetic ones of proto3 `optional` fields."""
    optional = _proto3_optional_fields(message_descriptor)
    return [oneof for oneof in message_descriptor.oneofs
            if not (len(oneof.fields) == 1 and oneof.fields[0].name in optional)]


class _Builder:
    def __init__(self, rng: random.Random, mode: str, index: int,
                 count: int | None = None) -> None:
        self.count_override = count
        self.rng = rng
        self.mode = mode      # empty, max, min, defaults, special, random
        self.index = index    # the K of special-K / random-K
        self.counter = index * 7

    # -- scalar values ------------------------------------------------------------------

    def _next(self, choices: list):
        self.counter += 1
        return choices[self.counter % len(choices)]

    def scalar(self, field):
        kind = field.type
        mode, rng = self.mode, self.rng
        if kind in INT_RANGES:
            low, high = INT_RANGES[kind]
            if mode == "max":
                return high
            if mode == "min":
                return low
            if mode == "defaults":
                return 0
            edges = _edge_ints(low, high)
            if mode == "special" or rng.random() < 0.4:
                return self._next(edges) if mode == "special" else rng.choice(edges)
            return rng.randint(low, high)
        if kind in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
            if mode == "max":
                value = 1.7976931348623157e308
            elif mode == "min":
                value = -1.7976931348623157e308
            elif mode == "defaults":
                value = 0.0
            elif mode == "special":
                value = self._next(SPECIAL_DOUBLES)
            elif rng.random() < 0.4:
                value = rng.choice(SPECIAL_DOUBLES)
            elif rng.random() < 0.5:
                value = _bits(rng.getrandbits(64))
            else:
                value = rng.uniform(-1e6, 1e6)
            if value == 0 and AVOID_IMPLICIT_NEGATIVE_ZERO and not field.has_presence \
                    and not field.is_repeated:
                value = 0.0  # known Wirebank bug, tested on its own in test_semantics
            return _float32(value) if kind == FD.TYPE_FLOAT else value
        if kind == FD.TYPE_BOOL:
            if mode in ("max", "special"):
                return True
            if mode in ("min", "defaults"):
                return False
            return rng.random() < 0.5
        if kind == FD.TYPE_ENUM:
            known = sorted(v.number for v in field.enum_type.values)
            if mode == "max":
                return known[-1]
            if mode == "min":
                return -(2**31)
            if mode == "defaults":
                return 0
            unknown = [-1, -(2**31), 2**31 - 1, 12345, known[-1] + 1]
            if mode == "special":
                return self._next(unknown + known)
            return rng.choice(known) if rng.random() < 0.7 else rng.choice(unknown)
        if kind == FD.TYPE_STRING:
            return self.text()
        if kind == FD.TYPE_BYTES:
            if mode == "max":
                return bytes(range(256))
            if mode in ("min", "defaults"):
                return b""
            if mode == "special" and self.index == 0:
                return self.rng.randbytes(BIG_BYTES)
            if mode == "special":
                return self._next([b"", b"\x00", b"\xff\xfe", bytes(range(256)), b'"\\\x7f'])
            return rng.randbytes(rng.choice([0, 1, 3, 16, 200]))
        raise AssertionError(f"unexpected field type {kind} of {field.full_name}")

    def text(self) -> str:
        mode, rng = self.mode, self.rng
        if mode == "max":
            return ALL_TEXT
        if mode in ("min", "defaults"):
            return ""
        if mode == "special" and self.index == 1:
            return ALL_TEXT * 40  # ~6 KB, past every fast path
        if mode == "special":
            return self._next(TEXT_PIECES) + self._next(TEXT_PIECES) + self._next(TEXT_PIECES)
        return "".join(rng.choice(TEXT_PIECES) for _ in range(rng.choice([0, 1, 2, 5, 12])))

    def map_key(self, field):
        if field.type == FD.TYPE_STRING:
            return unicodedata.normalize("NFC", self.text())
        return self.scalar(field)

    # -- messages -----------------------------------------------------------------------

    def _wants(self, probability: float = 0.7) -> bool:
        if self.mode in ("max", "min", "defaults", "special"):
            return True
        return self.rng.random() < probability

    def _count(self) -> int:
        if self.count_override is not None:
            return self.count_override
        if self.mode in ("max", "min"):
            return 3
        if self.mode == "defaults":
            return 1
        if self.mode == "special":
            return 4
        return self.rng.choice([0, 1, 2, 4])

    def fill(self, message, depth: int) -> None:
        descriptor = message.DESCRIPTOR
        chosen: dict[str, object] = {}
        for number, oneof in enumerate(real_oneofs(descriptor)):
            arms = list(oneof.fields)
            if self.mode == "max":
                pick = 0
            elif self.mode == "min":
                pick = len(arms) - 1
            elif self.mode == "defaults":
                pick = 0
            elif self.mode == "special":
                pick = (self.index + number) % len(arms)
            else:  # random-K: every arm, then no arm, in turn
                pick = (self.index + number) % (len(arms) + 1)
            for position, arm in enumerate(arms):
                chosen[arm.name] = position == pick
        for field in descriptor.fields:
            if field.name in chosen:
                if chosen[field.name]:
                    self.set_field(message, field, depth, force=True)
            elif self._wants():
                self.set_field(message, field, depth)

    def set_field(self, message, field, depth: int, force: bool = False) -> None:
        name = field.name
        if is_map(field):
            if field.message_type.fields_by_name["value"].type == FD.TYPE_MESSAGE \
                    and depth >= MAX_DEPTH:
                return
            entries = getattr(message, name)
            key_field = field.message_type.fields_by_name["key"]
            value_field = field.message_type.fields_by_name["value"]
            for _ in range(self._count()):
                key = self.map_key(key_field) if self.mode != "defaults" else \
                    ("" if key_field.type == FD.TYPE_STRING else 0)
                if value_field.type == FD.TYPE_MESSAGE:
                    value = entries[key]
                    if self.mode != "defaults":
                        self.fill(value, depth + 1)
                else:
                    entries[key] = self.scalar(value_field)
            return
        if field.type == FD.TYPE_MESSAGE:
            if depth >= MAX_DEPTH and not force:
                return
            if field.is_repeated:
                elements = getattr(message, name)
                for _ in range(self._count()):
                    element = elements.add()
                    if self.mode != "defaults" and depth < MAX_DEPTH:
                        self.fill(element, depth + 1)
                return
            nested = getattr(message, name)
            nested.SetInParent()
            if depth < MAX_DEPTH:
                self.fill(nested, depth + 1)
            return
        if field.is_repeated:
            getattr(message, name).extend(self.scalar(field) for _ in range(self._count()))
            return
        if self.mode == "defaults" and not field.has_presence:
            return  # setting an implicit field to its default is the same as not setting it
        setattr(message, name, self.scalar(field))


def bulk_instance(message_class, mode: str, count: int):
    """One `max` or `min` instance with `count` elements in every repeated field and map
    (nested messages are not repeated as often: only the top level gets `count`)."""
    name = message_class.DESCRIPTOR.full_name
    message = message_class()
    builder = _Builder(random.Random(f"{SEED}:{name}:bulk-{mode}"), mode, 0, count)
    builder.fill(message, depth=MAX_DEPTH - 1)  # one level of nesting below the top
    return message


def plan() -> list[tuple[str, str, int]]:
    """(label, mode, index) of the instances every type gets."""
    fixed = [("empty", "empty", 0), ("max", "max", 0), ("min", "min", 0),
             ("defaults", "defaults", 0)]
    special = [(f"special-{k}", "special", k) for k in range(4)]
    randoms = [(f"random-{k}", "random", k) for k in range(INSTANCES_PER_TYPE - 8)]
    return fixed + special + randoms


def instances(message_class):
    """The seeded instances of `message_class`, as (label, message)."""
    name = message_class.DESCRIPTOR.full_name
    result = []
    for label, mode, index in plan():
        rng = random.Random(f"{SEED}:{name}:{label}:{zlib.crc32(name.encode())}")
        message = message_class()
        if mode != "empty":
            _Builder(rng, mode, index).fill(message, depth=0)
        result.append((label, message))
    return result
