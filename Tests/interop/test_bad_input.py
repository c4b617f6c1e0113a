"""Bad input: each gets the HTTP/2 or gRPC error the specs name, and the server keeps serving
everyone else (checked after every test with a grpcio call) with bounded memory."""

from __future__ import annotations

import os
import socket
import struct
import time

import grpc
import pytest

import h2client
import interop_stubs
import rawframes as raw
from conftest import WirebankServer

messages, empty, services = interop_stubs.load()

EMPTY_CALL = "/grpc.testing.TestService/EmptyCall"
UNARY_CALL = "/grpc.testing.TestService/UnaryCall"


@pytest.fixture(scope="module")
def server():
    server = WirebankServer()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def still_serving(server):
    yield
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        services.TestServiceStub(channel).EmptyCall(empty.Empty(), timeout=10)
    assert server.alive()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def grpc_call(port, path, body, extra=()):
    client = h2client.RawClient(port)
    try:
        return client.call(path, body, extra=extra)
    finally:
        client.close()


# MARK: HTTP/2 connection errors (RFC 9113)

def test_garbage_instead_of_the_preface(server):
    sock = raw.connect(server.port, handshake=False)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    frames, closed = raw.read_until_closed(sock)
    assert closed
    assert raw.goaway_code(frames) == raw.PROTOCOL_ERROR


def test_data_on_stream_zero(server):
    sock = raw.connect(server.port)
    sock.sendall(raw.frame(raw.DATA, 0, 0, b"hello"))
    frames, closed = raw.read_until_closed(sock)
    assert closed
    assert raw.goaway_code(frames) == raw.PROTOCOL_ERROR


def test_frame_larger_than_max_frame_size(server):
    sock = raw.connect(server.port)
    sock.sendall(raw.frame(raw.HEADERS, raw.END_HEADERS, 1, b"\0" * 20000))
    frames, closed = raw.read_until_closed(sock)
    assert closed
    assert raw.goaway_code(frames) == raw.FRAME_SIZE_ERROR


def test_undecodable_header_block(server):
    sock = raw.connect(server.port)
    sock.sendall(raw.frame(raw.HEADERS, raw.END_HEADERS | raw.END_STREAM, 1, b"\xff\xff\xff\xff"))
    frames, closed = raw.read_until_closed(sock)
    assert closed
    assert raw.goaway_code(frames) == raw.COMPRESSION_ERROR


def test_continuation_flood(server):
    sock = raw.connect(server.port)
    block = raw.request_block()
    sock.sendall(raw.frame(raw.HEADERS, 0, 1, block))
    encoder_field = b"\x00\x01a\x01b"  # literal without indexing: "a: b"
    try:
        for _ in range(200):
            sock.sendall(raw.frame(raw.CONTINUATION, 0, 1, encoder_field))
    except (BrokenPipeError, ConnectionResetError):
        pass
    frames, closed = raw.read_until_closed(sock)
    assert closed
    assert raw.goaway_code(frames) == raw.ENHANCE_YOUR_CALM


def test_oversized_header_list_gets_431(server):
    client = h2client.RawClient(server.port)
    try:
        response = client.call(EMPTY_CALL, h2client.frame(b""), extra=[("x-big", "a" * 20000)])
        assert response.headers.get(":status") == "431", response
    finally:
        client.close()


def test_rst_stream_flood(server):
    sock = raw.connect(server.port)
    block = raw.request_block()
    payload = b"".join(
        raw.frame(raw.HEADERS, raw.END_HEADERS, stream_id, block)
        + raw.frame(raw.RST_STREAM, 0, stream_id, struct.pack(">I", 8))
        for stream_id in range(1, 2 * 3000, 2))
    try:
        sock.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass
    frames, closed = raw.read_until_closed(sock, timeout=10)
    assert closed
    assert raw.goaway_code(frames) is not None


def test_ping_flood_without_reading(server):
    sock = raw.connect(server.port)
    pings = raw.frame(raw.PING, 0, 0, b"12345678") * 1000
    try:
        for _ in range(20):
            sock.sendall(pings)
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    sock.close()


# MARK: gRPC errors (doc/PROTOCOL-HTTP2.md, doc/statuscodes.md)

def test_non_grpc_content_type_gets_415_with_a_text_body(server):
    client = h2client.RawClient(server.port)
    try:
        response = client.call(EMPTY_CALL, b"{}", content_type="application/json")
    finally:
        client.close()
    assert response.headers.get(":status") == "415"
    assert response.headers.get("content-type", "").startswith("text/plain")
    assert b"application/grpc" in response.data


def test_unknown_method_is_unimplemented(server):
    response = grpc_call(server.port, "/no.such.Service/Method", h2client.frame(b""))
    assert response.headers.get(":status") == "200"
    assert response.status == 12


def test_length_prefix_past_the_limit(server):
    client = h2client.RawClient(server.port)
    try:
        stream_id = client.start(UNARY_CALL)
        client.send(stream_id, struct.pack(">BI", 0, 5 * 1024 * 1024) + b"\0" * 1000)
        response = client.wait(stream_id)
    finally:
        client.close()
    assert response.status == 8, response


def test_truncated_message(server):
    response = grpc_call(server.port, UNARY_CALL, struct.pack(">BI", 0, 100) + b"\0" * 10)
    assert response.status == 13, response


def test_compressed_flag_without_grpc_encoding(server):
    body = h2client.frame(messages.SimpleRequest(response_size=1).SerializeToString(), compressed=True)
    response = grpc_call(server.port, UNARY_CALL, body)
    assert response.status == 13, response


def test_corrupt_gzip(server):
    body = struct.pack(">BI", 1, 12) + b"not gzip at!"
    response = grpc_call(server.port, UNARY_CALL, body, extra=[("grpc-encoding", "gzip")])
    assert response.status == 13, response


def test_unsupported_grpc_encoding(server):
    response = grpc_call(server.port, UNARY_CALL, h2client.frame(b""), extra=[("grpc-encoding", "br")])
    assert response.status == 12, response
    assert "gzip" in response.headers.get("grpc-accept-encoding", "")


def test_message_that_does_not_parse(server):
    response = grpc_call(server.port, UNARY_CALL, h2client.frame(b"\xff\xff\xff\xff"))
    assert response.status == 13, response


def test_malformed_timeout(server):
    response = grpc_call(server.port, EMPTY_CALL, h2client.frame(b""), extra=[("grpc-timeout", "soon")])
    assert response.status == 13, response


# MARK: Resources

def test_client_that_stops_reading_keeps_memory_bounded():
    server = WirebankServer()
    try:
        sock = raw.connect(server.port)
        baseline = rss_kib(server.process.pid)
        request = messages.StreamingOutputCallRequest(
            response_parameters=[messages.ResponseParameters(size=1 << 20) for _ in range(300)])
        body = h2client.frame(request.SerializeToString())
        sock.sendall(raw.frame(raw.HEADERS, raw.END_HEADERS, 1,
                               raw.request_block("/grpc.testing.TestService/StreamingOutputCall"))
                     + raw.frame(raw.DATA, raw.END_STREAM, 1, body))
        # The server may produce up to 300 MiB for this call; the client never reads. Watch the
        # server for a while: flow control must stop it after a window's worth.
        peak = baseline
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            peak = max(peak, rss_kib(server.process.pid))
            time.sleep(0.05)
        assert peak - baseline < 64 * 1024, f"RSS grew {peak - baseline} KiB"
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            services.TestServiceStub(channel).EmptyCall(empty.Empty(), timeout=10)
        sock.close()
    finally:
        server.stop()


def test_thousands_of_idle_connections():
    server = WirebankServer()
    sockets = []
    try:
        baseline = rss_kib(server.process.pid)
        for index in range(2000):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            if index % 2:
                sock.sendall(raw.PREFACE + raw.frame(raw.SETTINGS, 0, 0))
            sockets.append(sock)
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = services.TestServiceStub(channel)
            for _ in range(10):
                stub.EmptyCall(empty.Empty(), timeout=10)
        grown = rss_kib(server.process.pid) - baseline
        assert grown < 200 * 1024, f"RSS grew {grown} KiB for 2000 idle connections"
    finally:
        for sock in sockets:
            sock.close()
        server.stop()


# MARK: Timers

def test_idle_connection_is_closed_with_goaway():
    server = WirebankServer("--idle-timeout", "0.3")
    try:
        sock = raw.connect(server.port)
        frames, closed = raw.read_until_closed(sock, timeout=5)
        assert closed
        assert raw.goaway_code(frames) == 0
    finally:
        server.stop()


def test_keepalive_pings_a_silent_client_and_closes_when_unanswered():
    server = WirebankServer("--keepalive-interval", "0.2", "--keepalive-timeout", "0.3",
                            "--idle-timeout", "0")
    try:
        sock = raw.connect(server.port)
        frames, closed = raw.read_until_closed(sock, timeout=5)
        assert closed
        assert any(kind == raw.PING and not flags & raw.ACK for kind, flags, _, _ in frames)
    finally:
        server.stop()


def test_a_client_answering_keepalive_pings_stays_connected():
    # A timeout well above the interval, so that a stalled test process does not miss it.
    server = WirebankServer("--keepalive-interval", "0.2", "--keepalive-timeout", "2",
                            "--idle-timeout", "0")
    try:
        client = h2client.RawClient(server.port)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not client.closed:
            try:
                client.read_once(timeout=0.1)  # h2 answers PINGs by itself
            except socket.timeout:
                pass
        assert not client.closed
        assert client.pings_answered >= 3
        response = client.call(EMPTY_CALL, h2client.frame(b""))
        assert response.status == 0
        client.close()
    finally:
        server.stop()
