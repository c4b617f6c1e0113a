"""Wirebank's canonical text dump (Sources/WirebankProtobuf/TextWriter.swift), rebuilt in
Python from message descriptors, so that the Swift peer's `textDump` can be compared with
what Python's own `protobuf` decoded.

Rules, as TextWriter and the generated `writeText(to:)` apply them:
- fields in field-number order, `name: value`, one a line, nested messages and map entries
  indented by two spaces per level as `name {` ... `}`;
- fields without presence (proto3 implicit) are left out at their default; a float or double
  is at its default only when all its bits are zero (so -0.0 and NaN are written, as proto3
  sends them); fields with presence (proto3 `optional`, message fields, oneof members) are
  written whenever set;
- repeated fields one line per element; map entries sorted by key, each with both `key` and
  `value` written even at their defaults (a message value as `value {` ... `}`);
- strings quoted with `\\"` and `\\\\`, bytes 0x20-0x7e as they are, other bytes below 0x80
  as `\\xHH` (lower-case hex); bytes >= 0x80 kept (UTF-8) in strings but `\\xHH` in `bytes`;
- enums by name when known, else by number; bools `true`/`false`; integers in decimal;
  floats widened to double and doubles as Python's `repr(float)`, which prints the same
  shortest round-trip digits as Swift's `Double.description` (checked for 1e16, 1e-05, 0.1,
  5e-324, -0.0, nan, inf, -inf, 1e+22, 1.7976931348623157e+308 and every NaN payload);
- unknown fields last, as one `[unknown]: "..."` line of their raw bytes (quoted like bytes).

`strict=True` is for comparing two Python messages with each other instead: implicit
floating-point fields count as set when their bits are non-zero (so -0.0 shows), and every
float is followed by its IEEE bits (so NaN payloads and signs are compared too).
"""

from __future__ import annotations

import math
import struct

from google.protobuf import descriptor as _descriptor
from google.protobuf import unknown_fields as _unknown_fields

FD = _descriptor.FieldDescriptor
_HEX = "0123456789abcdef"
_FLOAT_TYPES = (FD.TYPE_DOUBLE, FD.TYPE_FLOAT)


def quoted(data: bytes, keep_utf8: bool) -> str:
    out = bytearray(b'"')
    for byte in data:
        if byte in (0x22, 0x5C):
            out += bytes((0x5C, byte))
        elif 0x20 <= byte < 0x7F:
            out.append(byte)
        elif byte >= 0x80 and keep_utf8:
            out.append(byte)
        else:
            out += b"\\x" + _HEX[byte >> 4].encode() + _HEX[byte & 15].encode()
    out += b'"'
    return out.decode("utf-8")


def float_text(value: float, strict: bool = False) -> str:
    text = repr(float(value))
    if strict:
        text += " /*" + struct.pack(">d", value).hex() + "*/"
    return text


def is_map(field) -> bool:
    return (
        field.type == FD.TYPE_MESSAGE
        and field.message_type is not None
        and field.message_type.GetOptions().map_entry
    )


def scalar_text(field, value, strict: bool = False) -> str:
    kind = field.type
    if kind == FD.TYPE_STRING:
        return quoted(value.encode("utf-8"), keep_utf8=True)
    if kind == FD.TYPE_BYTES:
        return quoted(bytes(value), keep_utf8=False)
    if kind == FD.TYPE_BOOL:
        return "true" if value else "false"
    if kind in _FLOAT_TYPES:
        return float_text(value, strict)
    if kind == FD.TYPE_ENUM:
        known = field.enum_type.values_by_number.get(value)
        return known.name if known is not None else str(value)
    return str(int(value))


def _is_default(field, value, strict: bool) -> bool:
    kind = field.type
    if kind in _FLOAT_TYPES:
        return struct.pack(">d", value) == bytes(8)
    if kind in (FD.TYPE_STRING, FD.TYPE_BYTES):
        return len(value) == 0
    return not value


def encode_varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def unknown_bytes(message) -> bytes:
    """The unknown fields Python kept for `message`, re-encoded in the order they were read."""
    out = bytearray()
    for field in _unknown_fields.UnknownFieldSet(message):
        out += encode_varint(field.field_number << 3 | field.wire_type)
        if field.wire_type == 0:
            out += encode_varint(field.data)
        elif field.wire_type == 1:
            out += struct.pack("<Q", field.data)
        elif field.wire_type == 5:
            out += struct.pack("<I", field.data)
        elif field.wire_type == 2:
            out += encode_varint(len(field.data)) + bytes(field.data)
        else:  # groups: never produced by these tests
            raise ValueError(f"unexpected unknown group in {message.DESCRIPTOR.full_name}")
    return bytes(out)


class _Writer:
    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.lines: list[str] = []

    def value(self, indent: str, field, name: str, value) -> None:
        if field.type == FD.TYPE_MESSAGE:
            self.lines.append(f"{indent}{name} {{\n")
            self.message(value, indent + "  ")
            self.lines.append(f"{indent}}}\n")
        else:
            self.lines.append(f"{indent}{name}: {scalar_text(field, value, self.strict)}\n")

    def message(self, message, indent: str) -> None:
        for field in sorted(message.DESCRIPTOR.fields, key=lambda f: f.number):
            name = field.name
            if is_map(field):
                entries = getattr(message, name)
                key_field = field.message_type.fields_by_name["key"]
                value_field = field.message_type.fields_by_name["value"]
                for key in sorted(entries.keys()):
                    self.lines.append(f"{indent}{name} {{\n")
                    self.value(indent + "  ", key_field, "key", key)
                    self.value(indent + "  ", value_field, "value", entries[key])
                    self.lines.append(f"{indent}}}\n")
            elif field.is_repeated:
                for element in getattr(message, name):
                    self.value(indent, field, name, element)
            elif field.has_presence:
                if message.HasField(name):
                    self.value(indent, field, name, getattr(message, name))
            else:
                value = getattr(message, name)
                if not _is_default(field, value, self.strict):
                    self.value(indent, field, name, value)
        unknown = unknown_bytes(message)
        if unknown:
            self.lines.append(f"{indent}[unknown]: {quoted(unknown, keep_utf8=False)}\n")


def canonical_dump(message, strict: bool = False) -> str:
    """The text Wirebank's `textDump` writes for `message` (see the module's docstring)."""
    writer = _Writer(strict)
    writer.message(message, "")
    return "".join(writer.lines)


def strict_dump(message) -> str:
    return canonical_dump(message, strict=True)


def contains_map_entries(message) -> bool:
    """Whether `message` or any message inside it has a non-empty map field."""
    for field, value in message.ListFields():
        if is_map(field):
            if len(value) > 0:
                return True
        elif field.type == FD.TYPE_MESSAGE:
            children = value if field.is_repeated else [value]
            if any(contains_map_entries(child) for child in children):
                return True
    return False
