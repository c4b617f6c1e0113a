"""Every interop case in both directions: a grpcio client against `wirebank interop-server`,
and `wirebank interop-client` against a grpcio TestService server."""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import wirebank_path
from grpcio_client_cases import CASES, Cases


@pytest.fixture(scope="module")
def grpcio_cases(wirebank_server):
    cases = Cases(wirebank_server.port)
    yield cases
    cases.close()


@pytest.mark.parametrize("case", CASES)
def test_grpcio_client_against_wirebank_server(case, grpcio_cases, wirebank_server):
    getattr(grpcio_cases, case)()
    assert wirebank_server.alive()


@pytest.fixture(scope="module")
def wirebank_client_results(python_server):
    # grpcio's servicer API cannot see request compression: no probes (see interop_service).
    result = subprocess.run(
        [str(wirebank_path()), "interop-client", "--server-host", "127.0.0.1",
         "--server-port", str(python_server), "--test-case", "all", "--no-compression-probe"],
        capture_output=True, text=True, timeout=120)
    lines = {}
    for line in result.stdout.splitlines():
        match = re.match(r"(PASS|FAIL) (\w+)", line)
        if match:
            lines[match.group(2)] = line
    return result, lines


@pytest.mark.parametrize("case", CASES)
def test_wirebank_client_against_grpcio_server(case, wirebank_client_results):
    result, lines = wirebank_client_results
    assert case in lines, f"no line for {case}:\n{result.stdout}\n{result.stderr}"
    assert lines[case].startswith("PASS"), lines[case]


def test_wirebank_client_exit_status(wirebank_client_results):
    result, lines = wirebank_client_results
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(lines) == len(CASES)
