"""End-to-end tests of Lending with real processes and real PostgreSQL: the three services as
separate `wirebank serve` processes on one embedded cluster, driven over gRPC by grpcio and
inspected through their own databases. Run from the repository root after building:

    WIREBANK_BIN=.build/debug/wirebank .venv/bin/python -m pytest -q Tests/lending_e2e

Every test gets databases of its own; every wait is bounded.
"""

from __future__ import annotations

import itertools
import os
import pathlib
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from harness import Cluster, Lending, wirebank_path  # noqa: E402

_COUNTER = itertools.count(1)


@pytest.fixture(scope="session")
def cluster():
    path = wirebank_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.exit(f"wirebank not found at {path}: build it, or set WIREBANK_BIN", returncode=2)
    cluster = Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def logs(request):
    """The services' logs, kept after a run with a failure and removed after a clean one."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="wirebank-e2e-logs-"))
    yield path
    if request.session.testsfailed == 0:
        shutil.rmtree(path, ignore_errors=True)
    else:
        print(f"\nservice logs kept in {path}")


@pytest.fixture
def lending(cluster, logs, request):
    """The three services, started and serving, on fresh databases; stopped with SIGTERM at the
    end, which must succeed (exit status 0)."""
    lending = Lending(cluster, f"t{next(_COUNTER)}", logs)
    lending.start_all()
    yield lending
    failed = request.node.rep_call.failed if hasattr(request.node, "rep_call") else False
    codes = lending.close()
    if failed:
        for service, process in lending.processes.items():
            print(f"--- {service} log ({process.log_path}) ---\n{process.log_tail(40)}")
    assert all(code == 0 for code in codes.values()), f"exit statuses after SIGTERM: {codes}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
