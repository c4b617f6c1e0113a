"""Real processes for the Lending end-to-end tests: one embedded PostgreSQL cluster
(`wirebank postgres start`), and the three services as separate `wirebank serve` processes
that the tests kill, stop and restart. Every wait is bounded; conditions are polled, never
slept on."""

from __future__ import annotations

import os
import pathlib
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lending_stubs import REPO

SERVICES = ("origination", "scoring", "product-engine")
PEERS = {
    "origination": ("scoring", "product-engine"),
    "scoring": ("product-engine", "origination"),
    "product-engine": (),
}
GRPC_NAMES = {
    "origination": "wirebank.lending.origination.v1.Origination",
    "scoring": "wirebank.lending.scoring.v1.Scoring",
    "product-engine": "wirebank.lending.product_engine.v1.ProductEngine",
}
DATABASE_SUFFIX = {"origination": "origination", "scoring": "scoring",
                   "product-engine": "product_engine"}
# Quick retries and a short lease, so that a killed process's jobs are taken over in seconds.
TUNING = ["--job-lease", "3", "--retry-max-delay", "1", "--sweep-interval", "1",
          "--peer-timeout", "3", "--shutdown-grace", "3", "--pool-size", "8"]
CHANNEL_OPTIONS = [("grpc.initial_reconnect_backoff_ms", 50),
                   ("grpc.min_reconnect_backoff_ms", 50),
                   ("grpc.max_reconnect_backoff_ms", 500)]


def wirebank_path() -> pathlib.Path:
    configured = os.environ.get("WIREBANK_BIN")
    path = pathlib.Path(configured) if configured else REPO / ".build" / "debug" / "wirebank"
    return path if path.is_absolute() else REPO / path


def free_port() -> int:
    """A free port below Linux's ephemeral range (32768–60999), so that an outgoing connection
    cannot take a killed service's port before the service is restarted on it."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found")


def wait_until(condition, timeout: float, what: str, interval: float = 0.02):
    """Polls `condition` until it returns something truthy (returned), failing after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Cluster:
    """The embedded PostgreSQL of the session, in a temporary folder."""

    def __init__(self):
        self.folder = pathlib.Path(tempfile.mkdtemp(prefix="wirebank-e2e-"))
        result = subprocess.run(
            [str(wirebank_path()), "postgres", "start", "--state-dir", str(self.folder),
             "--disposable"], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"wirebank postgres start failed:\n{result.stdout}{result.stderr}")
        self.socket = re.search(r"socket folder: (\S+)", result.stdout).group(1)
        self.psql_binary = shutil.which("psql") or "/usr/bin/psql"

    def url_template(self, prefix: str) -> str:
        host = urllib.parse.quote(self.socket, safe="")
        return f"postgresql://wirebank@/{prefix}_{{service}}?host={host}"

    def query(self, database: str, sql: str) -> list[list[str]]:
        """Rows of `sql` on `database`, as lists of text fields (NULL as '')."""
        result = subprocess.run(
            [self.psql_binary, "-h", self.socket, "-U", "wirebank", "-d", database, "-At",
             "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed on {database}: {result.stderr}")
        return [line.split("\t") for line in result.stdout.splitlines() if line != ""]

    def scalar(self, database: str, sql: str) -> int:
        return int(self.query(database, sql)[0][0])

    def stop(self):
        subprocess.run([str(wirebank_path()), "postgres", "stop", "--state-dir", str(self.folder)],
                       capture_output=True, text=True, timeout=120)
        shutil.rmtree(self.folder, ignore_errors=True)


class ServiceProcess:
    """One `wirebank serve` process; its stderr goes to a log file kept for failures."""

    def __init__(self, service: str, arguments: list[str], log: pathlib.Path):
        self.service = service
        self.log_path = log
        self.log = open(log, "a")
        self.process = subprocess.Popen(
            [str(wirebank_path()), "serve", service, *arguments],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.stdout: list[str] = []
        self.listening = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.stdout.append(line)
            if " listening on " in line:
                self.listening.set()

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def terminate(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.log.close()
        return code

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "".join(self.log_path.read_text().splitlines(keepends=True)[-lines:])
        except OSError:
            return ""


class Lending:
    """The three services as separate processes on `cluster`, with databases `<prefix>_*`."""

    def __init__(self, cluster: Cluster, prefix: str, logs: pathlib.Path):
        self.cluster = cluster
        self.prefix = prefix
        self.logs = logs
        self.ports = {service: free_port() for service in SERVICES}
        self.processes: dict[str, ServiceProcess] = {}
        self.channels = {
            service: grpc.insecure_channel(f"127.0.0.1:{port}", options=CHANNEL_OPTIONS)
            for service, port in self.ports.items()}
        self.starts = {service: 0 for service in SERVICES}

    def database(self, service: str) -> str:
        return f"{self.prefix}_{DATABASE_SUFFIX[service]}"

    def query(self, service: str, sql: str) -> list[list[str]]:
        return self.cluster.query(self.database(service), sql)

    def scalar(self, service: str, sql: str) -> int:
        return self.cluster.scalar(self.database(service), sql)

    def start(self, service: str, wait: bool = True) -> ServiceProcess:
        peers = ",".join(f"{peer}=127.0.0.1:{self.ports[peer]}" for peer in PEERS[service])
        arguments = ["--port", str(self.ports[service]),
                     "--database-url", self.cluster.url_template(self.prefix), *TUNING]
        if peers:
            arguments += ["--peers", peers]
        self.starts[service] += 1
        log = self.logs / f"{self.prefix}-{service}.log"
        process = ServiceProcess(service, arguments, log)
        self.processes[service] = process
        if wait:
            self.wait_serving(service)
        return process

    def start_all(self):
        for service in ("product-engine", "scoring", "origination"):
            self.start(service, wait=False)
        for service in SERVICES:
            self.wait_serving(service)

    def wait_serving(self, service: str, timeout: float = 60):
        """Waits until the process reports SERVING (its job worker listens)."""
        process = self.processes[service]
        stub = health_pb2_grpc.HealthStub(self.channels[service])
        request = health_pb2.HealthCheckRequest(service=GRPC_NAMES[service])

        def serving():
            if not process.alive():
                raise AssertionError(f"{service} exited:\n{process.log_tail()}")
            try:
                return stub.Check(request, timeout=1).status == health_pb2.HealthCheckResponse.SERVING
            except grpc.RpcError:
                return False

        wait_until(serving, timeout, f"{service} to serve", interval=0.05)

    def kill(self, service: str):
        self.processes[service].kill()

    def stop(self, service: str) -> int:
        return self.processes[service].terminate()

    def close(self) -> dict[str, int]:
        codes = {}
        for service, process in self.processes.items():
            if process.alive():
                codes[service] = process.terminate()
        for channel in self.channels.values():
            channel.close()
        return codes
