"""Crashes and outages with real processes: SIGKILL each service in turn while applications
flow, and take a service down for a while. Afterwards every application is final, each
accepted one has exactly one agreement, no agreement lacks an application, and every schedule
is the exact annuity (`check_invariants`)."""

from __future__ import annotations

import concurrent.futures
import threading
import time

import grpc
import pytest

from harness import wait_until
from lending_client import (
    M, call_with_retries, check_invariants, dead_jobs, jobs_settled, open_statuses, origination,
    submission)

APPLICATIONS = 420
RATE = 30  # per second: the flow lasts 14 s, long enough for two rounds of three crashes
ROUNDS = 2


def running_jobs(lending, service: str, kinds: tuple[str, ...], pid: int) -> int:
    names = ", ".join(f"'{kind}'" for kind in kinds)
    return lending.scalar(
        service,
        f"SELECT count(*) FROM wirebank_jobs WHERE state = 'running' AND kind IN ({names}) "
        f"AND locked_by LIKE '%-{pid}-%'")


def agreement_transactions(lending) -> int:
    """Statements or transactions of the Product Engine writing clients, agreements or
    schedules."""
    return lending.scalar(
        "product-engine",
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction') "
        "AND (query ILIKE '%agreements%' OR query ILIKE '%clients%' "
        "OR query ILIKE '%schedule_entries%')")


class Submitter:
    """Submits applications at a steady rate from a thread pool; each call is retried (same
    request, same idempotency key) until Origination answers, as a client would across a
    crash. Every 10th applicant is 19 (rejected by Scoring); every 12th application is
    cancelled right after it is stored. It submits at least `count` and goes on (up to four
    times as many) until `enough` is set, so that on a slow machine the flow lasts as long as
    the crashes do."""

    def __init__(self, lending, count: int, rate: float):
        self.stub = origination(lending)
        self.count = count
        self.rate = rate
        self.ids: dict[int, str] = {}
        self.retried = 0
        self.cancelled = 0
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.enough = threading.Event()
        self.issued = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()

    def submitted(self) -> int:
        with self.lock:
            return len(self.ids)

    def _one(self, index: int):
        months = (6, 12, 24, 36)[index % 4]
        born = (2007, 1, 1) if index % 10 == 3 else (1980 + index % 20, 1 + index % 12, 10)
        request = submission(f"9{index:05d}", principal=10_000_000 + 250_000 * (index % 40),
                             months=months, born=born)
        try:
            response, attempts = call_with_retries(self.stub.SubmitApplication, request, timeout=90)
            id = response.application.application_id
            with self.lock:
                self.ids[index] = id
                self.retried += attempts > 1
            if index % 12 == 5:
                cancel = M.origination.CancelApplicationRequest(
                    application_id=id, reason="client changed their mind")
                try:
                    call_with_retries(self.stub.CancelApplication, cancel, timeout=90)
                    with self.lock:
                        self.cancelled += 1
                except grpc.RpcError as error:
                    if error.code() != grpc.StatusCode.FAILED_PRECONDITION:
                        raise
        except Exception as error:  # noqa: BLE001 - reported by the test
            with self.lock:
                self.errors.append(f"#{index}: {error!r}")

    def _run(self):
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(24) as pool:
            for index in range(4 * self.count):
                if index >= self.count and self.enough.is_set():
                    break
                self.issued = index + 1
                due = start + index / self.rate
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)  # pacing, not waiting on a race
                pool.submit(self._one, index)
        self.done.set()


def test_sigkill_each_service_in_turn_while_applications_flow(lending):
    submitter = Submitter(lending, APPLICATIONS, RATE)
    submitter.start()
    evidence: dict[str, list] = {"scoring": [], "product-engine": [], "origination": []}
    began = time.monotonic()
    timeline: list[str] = []

    def mark(what: str):
        timeline.append(f"{time.monotonic() - began:.1f}s {what}")

    def after_submissions(crash: int):
        # The crashes are spread over the flow: each waits for its share of the submissions.
        share = APPLICATIONS * (crash + 1) // (3 * ROUNDS + 2)
        wait_until(lambda: submitter.submitted() >= share, 60, f"{share} submissions")

    crash = 0
    for _ in range(ROUNDS):
        # Scoring mid-evaluation: it decides within Origination's calls (or, when it could not,
        # in evaluation jobs), so it dies with calls or evaluation jobs in flight.
        after_submissions(crash)
        crash += 1
        pid = lending.processes["scoring"].pid
        caller = lending.processes["origination"].pid
        evaluating = wait_until(
            lambda: (running_jobs(lending, "scoring", ("evaluate_application",), pid) > 0
                     and "evaluation job running")
            or (running_jobs(lending, "origination", ("applications_to_scoring",), caller) > 0
                and "call deciding in flight"),
            20, "Scoring to be evaluating")
        mark("kill scoring")
        lending.kill("scoring")
        evidence["scoring"].append(evaluating)
        lending.start("scoring")

        # The Product Engine mid-agreement: its statement writing an agreement runs, or
        # Origination's call asking for one is in flight (the statement alone lasts a
        # millisecond, too short to wait for).
        after_submissions(crash)
        crash += 1
        caller = lending.processes["origination"].pid
        creating = wait_until(
            lambda: (agreement_transactions(lending) > 0 and "agreement statement running")
            or (running_jobs(lending, "origination", ("accepted_applications_to_pe",), caller) > 0
                and "agreement call in flight"),
            20, "the Product Engine to be creating an agreement")
        mark("kill product-engine")
        lending.kill("product-engine")
        evidence["product-engine"].append(creating)
        lending.start("product-engine")

        # Origination mid-job: it holds jobs calling Scoring or the Product Engine when it dies.
        after_submissions(crash)
        crash += 1
        kinds = ("applications_to_scoring", "accepted_applications_to_pe")
        pid = lending.processes["origination"].pid
        wait_until(lambda: running_jobs(lending, "origination", kinds, pid) > 0, 20,
                   "Origination to be running a job")
        mark("kill origination")
        lending.kill("origination")
        evidence["origination"].append(running_jobs(lending, "origination", kinds, pid))
        lending.start("origination")
        mark("origination serving")
    in_flow = submitter.done.is_set() is False
    submitter.enough.set()

    assert submitter.done.wait(120), "the submissions did not finish"
    submitter.thread.join(timeout=60)
    mark("submissions done")
    assert not submitter.errors, submitter.errors[:5]
    assert len(submitter.ids) == submitter.issued >= APPLICATIONS

    wait_until(lambda: open_statuses(lending) == 0, 90, "every application to be final",
               interval=0.2)
    mark("all final")
    wait_until(lambda: jobs_settled(lending), 60, "every job to finish", interval=0.2)
    mark("jobs settled")
    ids = set(submitter.ids.values())
    assert len(ids) == submitter.issued, "a retried submission created a second application"
    counts = check_invariants(lending, ids)
    assert dead_jobs(lending) == 0
    # The 19-year-olds, and only they, are rejected (unless cancelled before the decision).
    statuses = dict(lending.query("origination", "SELECT application_id::text, status FROM applications"))
    for index, id in submitter.ids.items():
        if index % 10 == 3:
            assert statuses[id] in ("REJECTED", "CANCELLED"), (index, statuses[id])
        else:
            assert statuses[id] in ("AGREEMENT_CREATED", "CANCELLED"), (index, statuses[id])
    assert counts.get("CANCELLED", 0) <= submitter.cancelled
    assert in_flow, "the crashes did not all happen while applications were being submitted"
    retried_jobs = {service: lending.scalar(
        service, "SELECT count(*) FROM wirebank_jobs WHERE attempts > 1")
        for service in ("origination", "scoring", "product-engine")}
    print(f"\nstatuses {counts}; submissions retried across crashes: {submitter.retried}; "
          f"cancelled by clients: {submitter.cancelled}; jobs the killed processes held: "
          f"{evidence}; jobs that needed more than one attempt: {retried_jobs}; "
          f"timeline: {', '.join(timeline)}")


@pytest.mark.parametrize("down, caller, kind, stuck_in", [
    ("scoring", "origination", "applications_to_scoring", "NEW"),
    ("product-engine", "scoring", "evaluate_application", "SCORING"),
])
def test_a_service_down_for_a_while_then_catching_up(lending, down, caller, kind, stuck_in):
    assert lending.stop(down) == 0
    stub = origination(lending)
    ids = {stub.SubmitApplication(submission(f"8{index:05d}"), timeout=10).application.application_id
           for index in range(20)}

    def backing_off():
        rows = lending.query(
            caller,
            f"SELECT state, attempts, coalesce(last_error, ''), available_at > now() "
            f"FROM wirebank_jobs WHERE kind = '{kind}'")
        # At any instant a job may be in an attempt or just due; it is enough that they all
        # failed a few times and that some wait for a later attempt.
        return len(rows) == len(ids) and all(
            state in ("pending", "running") and int(attempts) >= 3 and error != ""
            for state, attempts, error, _ in rows) and any(
            state == "pending" and later == "t" for state, _, _, later in rows)

    # Each job failed at least three times and backs off before its next attempt.
    wait_until(backing_off, 30, f"the {kind} jobs to back off")
    statuses = {row[0] for row in lending.query("origination", "SELECT status FROM applications")}
    assert statuses == {stuck_in}
    errors = lending.query(caller, f"SELECT DISTINCT last_error FROM wirebank_jobs WHERE kind = '{kind}'")
    assert any("unavailable" in error[0].lower() or "connect" in error[0].lower() for error in errors), errors

    lending.start(down)
    started = time.monotonic()
    wait_until(lambda: open_statuses(lending) == 0, 30, "the applications to catch up")
    caught_up = time.monotonic() - started
    wait_until(lambda: jobs_settled(lending), 30, "every job to finish")
    assert check_invariants(lending, ids) == {"AGREEMENT_CREATED": len(ids)}
    print(f"\n{down} back: {len(ids)} applications final {caught_up:.2f} s later")
