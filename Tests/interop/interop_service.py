"""grpc.testing.TestService written with grpcio, as doc/interop-test-descriptions.md specifies
the server.

One limit of grpcio's API: a servicer cannot see whether a request message arrived compressed,
so `expect_compressed` is not checked (the CompressedRequest feature is unsupported, which the
spec allows); Wirebank's client then runs the client-compression cases without their probe.
Response compression is supported: per call with `set_compression`, per message with
`disable_next_message_compression`.
"""

from __future__ import annotations

import time
from concurrent import futures

import grpc

import interop_stubs

messages, empty, services = interop_stubs.load()

ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"


def _echo_metadata(context):
    received = dict(context.invocation_metadata())
    if ECHO_INITIAL in received:
        context.send_initial_metadata(((ECHO_INITIAL, received[ECHO_INITIAL]),))
    if ECHO_TRAILING in received:
        context.set_trailing_metadata(((ECHO_TRAILING, received[ECHO_TRAILING]),))


def _abort_if_asked(status, context):
    if status is not None and status.code != 0:
        context.abort(grpc.StatusCode(_code(status.code)), status.message)


def _code(number):
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code.value
    return grpc.StatusCode.UNKNOWN.value


def _payload(size):
    return messages.Payload(body=b"\0" * size)


class TestService(services.TestServiceServicer):
    def EmptyCall(self, request, context):
        _echo_metadata(context)
        return empty.Empty()

    def UnaryCall(self, request, context):
        _echo_metadata(context)
        if request.HasField("response_status"):
            _abort_if_asked(request.response_status, context)
        if request.HasField("response_compressed") and request.response_compressed.value:
            context.set_compression(grpc.Compression.Gzip)
        return messages.SimpleResponse(payload=_payload(request.response_size))

    def StreamingOutputCall(self, request, context):
        _echo_metadata(context)
        yield from self._respond(request, context)

    def StreamingInputCall(self, request_iterator, context):
        _echo_metadata(context)
        total = sum(len(request.payload.body) for request in request_iterator)
        return messages.StreamingInputCallResponse(aggregated_payload_size=total)

    def FullDuplexCall(self, request_iterator, context):
        _echo_metadata(context)
        for request in request_iterator:
            yield from self._respond(request, context)

    def HalfDuplexCall(self, request_iterator, context):
        _echo_metadata(context)
        for request in list(request_iterator):
            yield from self._respond(request, context)

    def _respond(self, request, context):
        if request.HasField("response_status"):
            _abort_if_asked(request.response_status, context)
        if any(p.HasField("compressed") and p.compressed.value for p in request.response_parameters):
            context.set_compression(grpc.Compression.Gzip)
        for parameters in request.response_parameters:
            if parameters.interval_us:
                time.sleep(parameters.interval_us / 1e6)
            if parameters.HasField("compressed") and not parameters.compressed.value:
                context.disable_next_message_compression()
            yield messages.StreamingOutputCallResponse(payload=_payload(parameters.size))


def start_server():
    """Starts the grpcio TestService on a free loopback port: (server, port)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    services.add_TestServiceServicer_to_server(TestService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port
