"""HTTP/2 frames written and read byte by byte, for input no well-behaved stack would send."""

from __future__ import annotations

import socket
import struct
import time

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, CONTINUATION = 0, 1, 3, 4, 6, 7, 9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1

PROTOCOL_ERROR, FRAME_SIZE_ERROR, COMPRESSION_ERROR, ENHANCE_YOUR_CALM = 0x1, 0x6, 0x9, 0xB


def frame(kind: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", kind, flags, stream_id) + payload


def request_block(path="/grpc.testing.TestService/EmptyCall", extra=()) -> bytes:
    return hpack.Encoder().encode([
        (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "localhost"),
        ("content-type", "application/grpc"), ("te", "trailers"), *extra])


def connect(port: int, handshake: bool = True, timeout: float = 5.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.settimeout(timeout)
    if handshake:
        sock.sendall(PREFACE + frame(SETTINGS, 0, 0))
    return sock


def read_until_closed(sock: socket.socket, timeout: float = 5.0) -> tuple[list, bool]:
    """Frames the server sends until it closes the connection or `timeout` passes:
    ([(type, flags, stream, payload)], closed)."""
    buffer = b""
    deadline = time.monotonic() + timeout
    closed = False
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        buffer += chunk
    frames, offset = [], 0
    while offset + 9 <= len(buffer):
        length = int.from_bytes(buffer[offset:offset + 3], "big")
        kind, flags, stream_id = struct.unpack(">BBI", buffer[offset + 3:offset + 9])
        frames.append((kind, flags, stream_id & 0x7FFFFFFF, buffer[offset + 9:offset + 9 + length]))
        offset += 9 + length
    return frames, closed


def goaway_code(frames) -> int | None:
    for kind, _, _, payload in frames:
        if kind == GOAWAY and len(payload) >= 8:
            return struct.unpack(">I", payload[4:8])[0]
    return None
