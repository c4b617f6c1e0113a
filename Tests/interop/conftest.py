"""Interop of Wirebank's gRPC transport with real peers no one here wrote: Python grpcio
(client and server), grpcio-health-checking, a raw `h2` client, and nghttp2's tools.

Run from the repository root, after building the `wirebank` executable:

    WIREBANK_BIN=.build/debug/wirebank .venv/bin/python -m pytest -q Tests/interop

Every test starts the servers it needs on free ports and every wait is bounded.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import threading

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from interop_stubs import REPO  # noqa: E402


def wirebank_path() -> pathlib.Path:
    configured = os.environ.get("WIREBANK_BIN")
    path = pathlib.Path(configured) if configured else REPO / ".build" / "debug" / "wirebank"
    return path if path.is_absolute() else REPO / path


class WirebankServer:
    """`wirebank interop-server --port 0`, with the port it printed."""

    def __init__(self, *extra: str):
        path = wirebank_path()
        if not (path.is_file() and os.access(path, os.X_OK)):
            pytest.exit(f"wirebank not found at {path}: build it, or set WIREBANK_BIN", returncode=2)
        self.process = subprocess.Popen(
            [str(path), "interop-server", "--port", "0", "--host", "127.0.0.1", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.port = self._read_port()
        self.stderr_lines: list[str] = []
        self._stderr = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr.start()

    def _read_port(self) -> int:
        result: list[int] = []

        def read():
            for line in self.process.stdout:
                match = re.search(r"listening on port (\d+)", line)
                if match:
                    result.append(int(match.group(1)))
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout=20)
        if not result:
            self.process.kill()
            raise RuntimeError("wirebank interop-server did not report its port")
        return result[0]

    def _drain_stderr(self):
        for line in self.process.stderr:
            self.stderr_lines.append(line)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            raise


@pytest.fixture(scope="module")
def wirebank_server():
    server = WirebankServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def python_server():
    import interop_service
    server, port = interop_service.start_server()
    yield port
    server.stop(grace=None)
