"""Wirebank's C descriptor tables against the ones `protoc-c` (Debian's protobuf-c-compiler)
writes for the same .proto files.

Both sets of tables are compiled, each into its own small program (their symbols share names
by design), and a generic dumper walks them through protobuf-c's descriptor API. What packs and
unpacks must agree: names, numbers, labels, types, flags, the by-name index, the number ranges,
enum values. Struct layouts (offsets, sizes) are each generator's own business and are not
compared. Two differences are deliberate and normalised, each for a reason the runtime tests
prove: singular message fields are LABEL_OPTIONAL in Wirebank (presence by pointer, as
protobuf-c treats both labels) and implicit float/double fields are LABEL_OPTIONAL with a
`has_` flag in Wirebank (so that -0.0 is sent, which protoc-c's tables drop); string defaults
are NULL rather than `&protobuf_c_empty_string` (both read as "").
"""

import pathlib
import re
import shutil
import subprocess

import pytest

from wc_stubs import REPO

# protoc-c 1.4.1 refuses proto3 `optional`: compare the files that do not use it.
FILES = ["grpc/testing/messages.proto", "grpc/testing/empty.proto", "grpc/health/v1/health.proto"]

DUMPER = r"""
#include <stdio.h>
#include <protobuf-c/protobuf-c.h>
#include "HEADER"

static const char *label(const ProtobufCFieldDescriptor *f) {
  int singular_message = f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED;
  int implicit_float = (f->type == PROTOBUF_C_TYPE_FLOAT || f->type == PROTOBUF_C_TYPE_DOUBLE)
    && f->label != PROTOBUF_C_LABEL_REPEATED && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF);
  if (singular_message) return "singular-message";
  if (implicit_float) return "singular-float";
  switch (f->label) {
    case PROTOBUF_C_LABEL_NONE: return "none";
    case PROTOBUF_C_LABEL_OPTIONAL: return "optional";
    case PROTOBUF_C_LABEL_REQUIRED: return "required";
    default: return "repeated";
  }
}

static void message(const ProtobufCMessageDescriptor *d) {
  printf("message %s short=%s c=%s package=%s fields=%u\n", d->name, d->short_name, d->c_name,
         d->package_name, d->n_fields);
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    const char *type_name = "";
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) type_name = ((const ProtobufCMessageDescriptor *)f->descriptor)->name;
    if (f->type == PROTOBUF_C_TYPE_ENUM) type_name = ((const ProtobufCEnumDescriptor *)f->descriptor)->name;
    printf("  field %s id=%u label=%s type=%d flags=%u ref=%s\n", f->name, f->id, label(f),
           (int)f->type, f->flags, type_name);
  }
  printf("  by-name");
  for (unsigned i = 0; i < d->n_fields; i++) printf(" %u", d->fields_sorted_by_name[i]);
  printf("\n  ranges");
  /* The {0, n_fields} sentinel is read only when there are ranges (protoc-c: NULL otherwise). */
  for (unsigned i = 0; d->n_field_ranges > 0 && i <= d->n_field_ranges; i++)
    printf(" {%d,%u}", d->field_ranges[i].start_value, d->field_ranges[i].orig_index);
  printf("\n");
}

static void enumeration(const ProtobufCEnumDescriptor *d) {
  printf("enum %s short=%s c=%s package=%s values=%u\n", d->name, d->short_name, d->c_name,
         d->package_name, d->n_values);
  for (unsigned i = 0; i < d->n_values; i++)
    printf("  value %s %s %d\n", d->values[i].name, d->values[i].c_name, d->values[i].value);
  for (unsigned i = 0; i < d->n_value_names; i++)
    printf("  by-name %s %u\n", d->values_by_name[i].name, d->values_by_name[i].index);
  printf("  ranges");
  for (unsigned i = 0; d->n_value_ranges > 0 && i <= d->n_value_ranges; i++)
    printf(" {%d,%u}", d->value_ranges[i].start_value, d->value_ranges[i].orig_index);
  printf("\n");
}

int main(void) {
CALLS
  return 0;
}
"""


def descriptor_symbols(header: pathlib.Path) -> list[tuple[str, str]]:
    text = header.read_text()
    found = re.findall(r"extern const (ProtobufCMessageDescriptor|ProtobufCEnumDescriptor)\s+(\w+);", text)
    return sorted((symbol, kind) for kind, symbol in found)


def dump(out: pathlib.Path, header: pathlib.Path, source: pathlib.Path, include: pathlib.Path,
         symbols: list[tuple[str, str]]) -> str:
    calls = "\n".join(
        f"  {'message' if kind == 'ProtobufCMessageDescriptor' else 'enumeration'}(&{symbol});"
        for symbol, kind in symbols)
    program = out / "dumper.c"
    program.write_text(DUMPER.replace("HEADER", str(header)).replace("CALLS", calls))
    binary = out / "dumper"
    subprocess.run(["cc", "-o", str(binary), "-I", str(include), str(program), str(source),
                    "-lprotobuf-c"], check=True, capture_output=True, text=True)
    return subprocess.run([str(binary)], check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("proto", FILES)
def test_tables_match_protoc_c(tmp_path, proto):
    if shutil.which("protoc-c") is None:
        pytest.fail("protoc-c missing: make deps installs Debian's protobuf-c-compiler")
    plugin = REPO / ".build" / "debug" / "protoc-gen-wirebank"
    assert plugin.exists(), "build the plugin first (swift build --build-tests)"
    stem = proto.removesuffix(".proto")

    theirs = tmp_path / "protoc-c"
    theirs.mkdir()
    subprocess.run(["protoc-c", "-I", str(REPO / "Protos"), f"--c_out={theirs}", proto],
                   check=True, capture_output=True, text=True)
    their_header = theirs / f"{stem}.pb-c.h"

    ours = tmp_path / "wirebank"
    ours.mkdir()
    subprocess.run(["protoc", f"--plugin=protoc-gen-wirebank={plugin}", "-I", str(REPO / "Protos"),
                    f"--wirebank_out={ours}",
                    "--wirebank_opt=c_module=X,c_header_dir=include,c_source_dir=src,services=false",
                    proto], check=True, capture_output=True, text=True)
    our_header = ours / "include" / f"{stem}.pb-c.h"

    symbols = descriptor_symbols(their_header)
    assert symbols, f"no descriptors found in {their_header}"
    assert descriptor_symbols(our_header) == symbols

    their_dump = dump(theirs, their_header, theirs / f"{stem}.pb-c.c", theirs, symbols)
    our_source = ours / "src" / (stem.replace("/", "_") + ".pb-c.c")
    our_dump = dump(ours, our_header, our_source, ours / "include", symbols)
    assert our_dump == their_dump
