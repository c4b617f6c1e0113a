"""Hand-built Protobuf wire bytes, for inputs that no encoder would write."""

from __future__ import annotations

import struct

from wc_dump import encode_varint

VARINT, I64, LEN, SGROUP, EGROUP, I32 = 0, 1, 2, 3, 4, 5


def varint(value: int) -> bytes:
    """Minimal base-128 varint of `value` (negative values as 64-bit two's complement)."""
    return encode_varint(value)


def tag(number: int, wire_type: int) -> bytes:
    return varint(number << 3 | wire_type)


def field_varint(number: int, value: int) -> bytes:
    return tag(number, VARINT) + varint(value)


def field_len(number: int, payload: bytes) -> bytes:
    return tag(number, LEN) + varint(len(payload)) + payload


def field_fixed64(number: int, value: int) -> bytes:
    return tag(number, I64) + struct.pack("<Q", value & (1 << 64) - 1)


def field_fixed32(number: int, value: int) -> bytes:
    return tag(number, I32) + struct.pack("<I", value & (1 << 32) - 1)


def field_double(number: int, value: float) -> bytes:
    return tag(number, I64) + struct.pack("<d", value)


def nested_chain(numbers: list[int], leaf: bytes) -> bytes:
    """`leaf` wrapped in one length-delimited field per number, outermost first.

    Built without re-copying the inner bytes at every level, so that 100,000 levels stay
    linear: the prefixes are computed from the inside out and joined once.
    """
    prefixes = []
    length = len(leaf)
    for number in reversed(numbers):
        prefix = tag(number, LEN) + varint(length)
        prefixes.append(prefix)
        length += len(prefix)
    prefixes.reverse()
    return b"".join(prefixes) + leaf
