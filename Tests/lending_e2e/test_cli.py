"""The commands people run: `wirebank up` with the `wirebank lending` client against it, and
`wirebank demo` (the README's run command)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading

import pytest

from harness import wait_until, wirebank_path


def wirebank(*arguments: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([str(wirebank_path()), *arguments], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def up():
    """`wirebank up` on free ports and a fresh embedded PostgreSQL; yields the addresses."""
    folder = tempfile.mkdtemp(prefix="wirebank-up-")
    process = subprocess.Popen(
        [str(wirebank_path()), "up", "--base-port", "0", "--state-dir", folder],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
    try:
        wait_until(lambda: any(line.startswith("data:") for line in lines), 90,
                   "wirebank up to start", interval=0.05)
        addresses = {match.group(1): match.group(2) for line in lines
                     if (match := re.match(r"(\S+) listening on (\S+)", line))}
        yield addresses, process, lines, folder
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def test_up_serves_the_lending_client_and_stops_on_sigterm(up):
    addresses, process, lines, folder = up
    endpoints = ["--origination", addresses["origination"],
                 "--product-engine", addresses["product-engine"]]
    submitted = wirebank(
        "lending", "submit", *endpoints, "--document", "RU:4510:424242", "--first-name", "Anna",
        "--last-name", "Ivanova", "--birth-date", "1988-04-12", "--phone", "+79991234567",
        "--income", "150000", "--principal", "300000", "--months", "24")
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    id = re.search(r"application\s+([0-9a-f-]{36})", submitted.stdout).group(1)

    def signed():
        shown = wirebank("lending", "get", id, *endpoints)
        # The payout job moves the agreement to PAYMENT_PENDING right after it is created.
        ready = "AGREEMENT_CREATED" in shown.stdout and "PAYMENT_PENDING" in shown.stdout
        return shown.stdout if ready else None

    shown = wait_until(signed, 30, "the agreement", interval=0.1)
    assert "PTI_LIMIT: payment-to-income 10.07% <= limit 50.00%" in shown
    assert re.search(r"agreement PAYMENT_PENDING: 18\.90% a year, 15,108\.01 RUB a month", shown)
    assert re.search(r"^\s+24\s+\S+\s+15,108\.12\s.*\s0\.00$", shown, re.MULTILINE), shown

    listed = wirebank("lending", "list", *endpoints, "--status", "AGREEMENT_CREATED")
    assert id in listed.stdout

    refused = wirebank("lending", "cancel", id, *endpoints)
    assert refused.returncode == 1
    assert "APPLICATION_NOT_CANCELLABLE" in refused.stdout

    invalid = wirebank(
        "lending", "submit", *endpoints, "--document", "RU::", "--first-name", "Anna",
        "--last-name", "Ivanova", "--birth-date", "1988-04-12", "--phone", "12345",
        "--principal", "300000", "--months", "0")
    assert invalid.returncode == 1
    assert "INVALID_ARGUMENT" in invalid.stdout
    for field in ("applicant.identity_document.number", "applicant.phone", "terms.term_months"):
        assert f"  {field}: " in invalid.stdout

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    wait_until(lambda: any(line.strip() == "stopped" for line in lines), 5, "the last line")
    # `up` started the embedded PostgreSQL, so it stopped it too.
    assert not os.path.exists(os.path.join(folder, "data", "postmaster.pid"))


def test_demo_runs_the_batch_to_the_end():
    demo = wirebank("demo", timeout=90)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    output = demo.stdout
    assert "all hold" in output
    rows = [line for line in output.splitlines() if re.match(r"\s+\d+\s+[A-Z][a-z]+ [A-Z]", line)]
    assert len(rows) == 44
    for status in ("AGREEMENT_CREATED", "REJECTED", "CANCELLED"):
        assert any(status in row for row in rows)
    assert re.search(r"submit → agreement \(\d+ agreements, server timestamps\): p50", output)
    assert re.search(r"^\s+\d+\.\d s\s+submitted \d+/44", output, re.MULTILINE)


@pytest.mark.parametrize("arguments, message", [
    (["serve", "origination", "--port", "0"],
     "origination calls scoring and product-engine: pass --peers"),
    (["serve", "scoring", "--peers", "product-engine=127.0.0.1:1,billing=127.0.0.1:2"],
     "expected service=host:port"),
    (["serve", "scoring", "--peers", "product-engine=127.0.0.1:99999,origination=127.0.0.1:1"],
     "the port must be between 1 and 65535"),
    (["up", "--database-url", "postgresql://localhost/lending"], "needs {service}"),
])
def test_bad_command_lines_are_refused_before_anything_starts(arguments, message):
    result = wirebank(*arguments)
    assert result.returncode == 64, result.stdout + result.stderr
    assert message in result.stderr
