"""grpcio-health-checking's client against Wirebank's health service, and nghttp2's own
tools (`nghttp`, `h2load`) against the interop server."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import threading

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

import h2client
from conftest import WirebankServer

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN


def test_health_check(wirebank_server):
    with grpc.insecure_channel(f"127.0.0.1:{wirebank_server.port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        assert stub.Check(health_pb2.HealthCheckRequest(), timeout=5).status == SERVING
        named = health_pb2.HealthCheckRequest(service="grpc.testing.TestService")
        assert stub.Check(named, timeout=5).status == SERVING
        with pytest.raises(grpc.RpcError) as error:
            stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
        assert error.value.code() == grpc.StatusCode.NOT_FOUND
        listed = stub.List(health_pb2.HealthListRequest(), timeout=5).statuses
        assert listed[""].status == SERVING
        assert listed["grpc.testing.TestService"].status == SERVING


def test_health_watch_unknown_service(wirebank_server):
    with grpc.insecure_channel(f"127.0.0.1:{wirebank_server.port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        call = stub.Watch(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
        assert next(call).status == SERVICE_UNKNOWN
        call.cancel()


def test_health_watch_sees_shutdown_then_server_exits():
    server = WirebankServer()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            call = stub.Watch(health_pb2.HealthCheckRequest(), timeout=10)
            assert next(call).status == SERVING
            server.process.send_signal(signal.SIGTERM)
            assert next(call).status == NOT_SERVING
            assert list(call) == []
            assert call.code() == grpc.StatusCode.OK
        assert server.process.wait(timeout=10) == 0
    finally:
        server.stop()


def test_graceful_shutdown_lets_calls_in_flight_finish():
    server = WirebankServer()
    try:
        import grpcio_client_cases as cases
        messages = cases.messages
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = cases.services.TestServiceStub(channel)
            # A call that takes ~0.5 s on the server: 5 responses 100 ms apart.
            request = messages.StreamingOutputCallRequest(response_parameters=[
                messages.ResponseParameters(size=10, interval_us=100_000) for _ in range(5)])
            call = stub.StreamingOutputCall(request, timeout=10)
            first = next(call)
            server.process.send_signal(signal.SIGTERM)
            rest = list(call)
            assert len(rest) + 1 == 5 and len(first.payload.body) == 10
            assert call.code() == grpc.StatusCode.OK
        assert server.process.wait(timeout=10) == 0
    finally:
        server.stop()


@pytest.fixture(scope="module")
def empty_call_body(tmp_path_factory):
    path = tmp_path_factory.mktemp("bodies") / "empty.grpc"
    path.write_bytes(h2client.frame(b""))
    return path


@pytest.mark.skipif(shutil.which("nghttp") is None, reason="nghttp2-client is not installed")
def test_nghttp_unary_call(wirebank_server, empty_call_body):
    result = subprocess.run(
        ["nghttp", "-v", "-H", ":method: POST", "-H", "content-type: application/grpc",
         "-H", "te: trailers", "-d", str(empty_call_body),
         f"http://127.0.0.1:{wirebank_server.port}/grpc.testing.TestService/EmptyCall"],
        capture_output=True, text=True, errors="replace", timeout=20)
    assert result.returncode == 0, result.stderr
    assert re.search(r"recv \(stream_id=\d+\) grpc-status: 0$", result.stdout, re.M), result.stdout
    assert "END_STREAM" in result.stdout


@pytest.mark.skipif(shutil.which("h2load") is None, reason="nghttp2-client is not installed")
def test_h2load_unary_calls_all_succeed(wirebank_server, empty_call_body):
    result = subprocess.run(
        ["h2load", "-n", "10000", "-c", "10", "-m", "10", "-d", str(empty_call_body),
         "-H", "content-type: application/grpc", "-H", "te: trailers",
         f"http://127.0.0.1:{wirebank_server.port}/grpc.testing.TestService/EmptyCall"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "10000 succeeded, 0 failed, 0 errored, 0 timeout" in result.stdout, result.stdout
    assert "status codes: 10000 2xx" in result.stdout, result.stdout


@pytest.mark.skipif(shutil.which("h2load") is None, reason="nghttp2-client is not installed")
def test_h2load_without_grpc_content_type_gets_415(wirebank_server, empty_call_body):
    result = subprocess.run(
        ["h2load", "-n", "100", "-c", "2", "-m", "5", "-d", str(empty_call_body),
         f"http://127.0.0.1:{wirebank_server.port}/grpc.testing.TestService/EmptyCall"],
        capture_output=True, text=True, timeout=60)
    # h2load counts 4xx answers as failed requests; none may error out.
    assert "100 done, 0 succeeded, 100 failed, 0 errored" in result.stdout, result.stdout
    assert "status codes: 0 2xx, 0 3xx, 100 4xx" in result.stdout, result.stdout
