"""Client of the Swift `wirecompat-peer` process (Tests/wirecompat-peer, protocol in
Tests/WireCompatSupport/WireCompatPeer.swift): one request line in, one answer line out."""

from __future__ import annotations

import base64
import dataclasses
import os
import pathlib
import select
import subprocess
import tempfile
import time

REQUEST_TIMEOUT = 60.0


class PeerCrashed(AssertionError):
    """The peer exited (or stopped answering) instead of answering a request."""


@dataclasses.dataclass
class Answer:
    ok: bool
    data: bytes = b""       # re-encoded bytes (roundtrip only)
    dump: str = ""          # Wirebank's textDump
    code: str = ""          # error code token (err answers)
    description: str = ""   # error description (err answers)
    raw: str = ""

    def __str__(self) -> str:
        return self.raw if len(self.raw) < 400 else self.raw[:400] + "..."


class Peer:
    def __init__(self, executable: pathlib.Path) -> None:
        self.executable = executable
        self.crashes: list[str] = []
        self.process: subprocess.Popen | None = None
        self._start()

    def _start(self) -> None:
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [str(self.executable)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.stderr, bufsize=0)
        self.buffer = b""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def _died(self, request: str, why: str) -> PeerCrashed:
        assert self.process is not None
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.stderr.seek(0)
        tail = self.stderr.read()[-2000:].decode("utf-8", "replace")
        message = (f"wirecompat-peer {why} (exit status {code}) on request "
                   f"{request[:200]!r}; stderr tail:\n{tail}")
        self.crashes.append(message)
        self._start()  # so that one crash does not fail every later test
        return PeerCrashed(message)

    def request(self, line: str, timeout: float = REQUEST_TIMEOUT) -> str:
        assert self.process is not None and self.process.stdin is not None
        assert "\n" not in line
        try:
            self.process.stdin.write(line.encode("ascii") + b"\n")
        except (BrokenPipeError, OSError):
            raise self._died(line, "closed its input") from None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(remaining, 0))
            if not ready:
                self.process.kill()
                raise self._died(line, f"gave no answer within {timeout} s")
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise self._died(line, "exited")
            self.buffer += chunk
        answer, self.buffer = self.buffer.split(b"\n", 1)
        return answer.decode("utf-8")

    @staticmethod
    def _parse(raw: str, with_bytes: bool) -> Answer:
        parts = raw.split(" ")
        if parts[0] == "ok":
            if with_bytes:
                data, dump = parts[1], parts[2]
                return Answer(True, base64.b64decode(data),
                              base64.b64decode(dump).decode("utf-8"), raw=raw)
            return Answer(True, dump=base64.b64decode(parts[1]).decode("utf-8"), raw=raw)
        if parts[0] == "err":
            return Answer(False, code=parts[1], description=" ".join(parts[2:]), raw=raw)
        raise AssertionError(f"malformed answer from the peer: {raw[:300]!r}")

    def roundtrip(self, name: str, data: bytes) -> Answer:
        raw = self.request(f"roundtrip {name} {base64.b64encode(data).decode()}")
        return self._parse(raw, with_bytes=True)

    def dump(self, name: str, data: bytes) -> Answer:
        raw = self.request(f"dump {name} {base64.b64encode(data).decode()}")
        return self._parse(raw, with_bytes=False)

    def names(self) -> list[str]:
        raw = self.request("list")
        assert raw.startswith("ok "), raw
        return raw[3:].split(" ")

    def set_limits(self, depth: int | None = None, size: int | None = None) -> None:
        line = "limits default" if depth is None else f"limits {depth} {size}"
        assert self.request(line) == "ok"

    def close(self) -> None:
        if self.process is None:
            return
        try:
            self.process.stdin.write(b"quit\n")
            self.process.stdin.close()
            self.process.wait(timeout=10)
        except (BrokenPipeError, OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        self.stderr.close()
        self.process = None
