"""The interop client cases of doc/interop-test-descriptions.md, written with grpcio.

Where grpcio hides what a case asserts (a received message's compressed flag) or cannot do
what it asks (choose compression per request message), the case uses the raw `h2` client of
`h2client.py` for that part.
"""

from __future__ import annotations

import queue
import threading

import grpc

import h2client
import interop_stubs

messages, empty, services = interop_stubs.load()

SPECIAL_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"
TIMEOUT = 10


def zeros(size):
    return messages.Payload(body=b"\0" * size)


def large_request(**fields):
    return messages.SimpleRequest(response_size=314159, payload=zeros(271828), **fields)


def expect_code(code, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except grpc.RpcError as error:
        assert error.code() == code, f"expected {code}, got {error.code()}: {error.details()}"
        return error
    raise AssertionError(f"the call succeeded; {code} was expected")


class Cases:
    def __init__(self, port):
        self.port = port
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = services.TestServiceStub(self.channel)

    def close(self):
        self.channel.close()

    def empty_unary(self):
        assert self.stub.EmptyCall(empty.Empty(), timeout=TIMEOUT) == empty.Empty()

    def large_unary(self):
        response = self.stub.UnaryCall(large_request(), timeout=TIMEOUT)
        assert response.payload.body == b"\0" * 314159

    def client_compressed_unary(self):
        expect_code(grpc.StatusCode.INVALID_ARGUMENT, self.stub.UnaryCall,
                    large_request(expect_compressed=messages.BoolValue(value=True)), timeout=TIMEOUT)
        response = self.stub.UnaryCall(
            large_request(expect_compressed=messages.BoolValue(value=True)),
            compression=grpc.Compression.Gzip, timeout=TIMEOUT)
        assert len(response.payload.body) == 314159
        response = self.stub.UnaryCall(
            large_request(expect_compressed=messages.BoolValue(value=False)), timeout=TIMEOUT)
        assert len(response.payload.body) == 314159

    def server_compressed_unary(self):
        for compressed in (True, False):
            request = large_request(response_compressed=messages.BoolValue(value=compressed))
            response = self.stub.UnaryCall(request, timeout=TIMEOUT)
            assert len(response.payload.body) == 314159
            # grpcio hides the flag: check it on the wire.
            raw = self._raw_call("/grpc.testing.TestService/UnaryCall",
                                 h2client.frame(request.SerializeToString()))
            assert raw.status == 0, raw
            [(flag, body)] = raw.messages
            assert flag == compressed, f"compressed flag {flag}, expected {compressed}"
            assert len(messages.SimpleResponse.FromString(body).payload.body) == 314159

    def client_streaming(self):
        sizes = [27182, 8, 1828, 45904]
        requests = (messages.StreamingInputCallRequest(payload=zeros(n)) for n in sizes)
        response = self.stub.StreamingInputCall(requests, timeout=TIMEOUT)
        assert response.aggregated_payload_size == 74922

    def client_compressed_streaming(self):
        probe = messages.StreamingInputCallRequest(
            expect_compressed=messages.BoolValue(value=True), payload=zeros(27182))
        expect_code(grpc.StatusCode.INVALID_ARGUMENT, self.stub.StreamingInputCall,
                    iter([probe]), timeout=TIMEOUT)
        second = messages.StreamingInputCallRequest(
            expect_compressed=messages.BoolValue(value=False), payload=zeros(45904))
        # Per-message compression: grpcio compresses all or nothing, so frame by hand.
        body = (h2client.frame(probe.SerializeToString(), compressed=True)
                + h2client.frame(second.SerializeToString(), compressed=False))
        raw = self._raw_call("/grpc.testing.TestService/StreamingInputCall", body,
                             extra=[("grpc-encoding", "gzip")])
        assert raw.status == 0, raw
        [(_, reply)] = raw.messages
        assert messages.StreamingInputCallResponse.FromString(reply).aggregated_payload_size == 73086

    def server_streaming(self):
        sizes = [31415, 9, 2653, 58979]
        request = messages.StreamingOutputCallRequest(
            response_parameters=[messages.ResponseParameters(size=n) for n in sizes])
        received = [len(r.payload.body) for r in self.stub.StreamingOutputCall(request, timeout=TIMEOUT)]
        assert received == sizes

    def server_compressed_streaming(self):
        request = messages.StreamingOutputCallRequest(response_parameters=[
            messages.ResponseParameters(size=31415, compressed=messages.BoolValue(value=True)),
            messages.ResponseParameters(size=92653, compressed=messages.BoolValue(value=False))])
        received = [len(r.payload.body) for r in self.stub.StreamingOutputCall(request, timeout=TIMEOUT)]
        assert received == [31415, 92653]
        raw = self._raw_call("/grpc.testing.TestService/StreamingOutputCall",
                             h2client.frame(request.SerializeToString()))
        assert raw.status == 0, raw
        assert [flag for flag, _ in raw.messages] == [True, False]

    def ping_pong(self):
        steps = [(31415, 27182), (9, 8), (2653, 1828), (58979, 45904)]
        outgoing = queue.Queue()

        def requests():
            while True:
                item = outgoing.get(timeout=TIMEOUT)
                if item is None:
                    return
                yield item

        call = self.stub.FullDuplexCall(requests(), timeout=TIMEOUT)
        for response_size, request_size in steps:
            outgoing.put(messages.StreamingOutputCallRequest(
                response_parameters=[messages.ResponseParameters(size=response_size)],
                payload=zeros(request_size)))
            assert len(next(call).payload.body) == response_size
        outgoing.put(None)
        assert list(call) == []
        assert call.code() == grpc.StatusCode.OK

    def empty_stream(self):
        assert list(self.stub.FullDuplexCall(iter([]), timeout=TIMEOUT)) == []

    def custom_metadata(self):
        metadata = (("x-grpc-test-echo-initial", "test_initial_metadata_value"),
                    ("x-grpc-test-echo-trailing-bin", b"\xab\xab\xab"))
        response, call = self.stub.UnaryCall.with_call(large_request(), metadata=metadata,
                                                       timeout=TIMEOUT)
        self._check_echo(call)
        call = self.stub.FullDuplexCall(iter([messages.StreamingOutputCallRequest(
            response_parameters=[messages.ResponseParameters(size=314159)],
            payload=zeros(271828))]), metadata=metadata, timeout=TIMEOUT)
        assert [len(r.payload.body) for r in call] == [314159]
        self._check_echo(call)

    def status_code_and_message(self):
        self._expect_echoed_status("test status message")

    def special_status_message(self):
        self._expect_echoed_status(SPECIAL_MESSAGE, unary_only=True)

    def unimplemented_method(self):
        expect_code(grpc.StatusCode.UNIMPLEMENTED, self.stub.UnimplementedCall, empty.Empty(),
                    timeout=TIMEOUT)

    def unimplemented_service(self):
        stub = services.UnimplementedServiceStub(self.channel)
        expect_code(grpc.StatusCode.UNIMPLEMENTED, stub.UnimplementedCall, empty.Empty(),
                    timeout=TIMEOUT)

    def cancel_after_begin(self):
        blocker = threading.Event()

        def requests():
            blocker.wait(TIMEOUT)
            return
            yield

        future = self.stub.StreamingInputCall.future(requests(), timeout=TIMEOUT)
        future.cancel()
        blocker.set()
        assert future.cancelled()
        assert future.code() == grpc.StatusCode.CANCELLED

    def cancel_after_first_response(self):
        outgoing = queue.Queue()

        def requests():
            while True:
                item = outgoing.get()
                if item is None:
                    return
                yield item

        call = self.stub.FullDuplexCall(requests(), timeout=TIMEOUT)
        outgoing.put(messages.StreamingOutputCallRequest(
            response_parameters=[messages.ResponseParameters(size=31415)], payload=zeros(27182)))
        assert len(next(call).payload.body) == 31415
        call.cancel()
        outgoing.put(None)
        assert call.code() == grpc.StatusCode.CANCELLED

    def timeout_on_sleeping_server(self):
        blocker = threading.Event()

        def requests():
            yield messages.StreamingOutputCallRequest(payload=zeros(27182))
            blocker.wait(TIMEOUT)

        call = self.stub.FullDuplexCall(requests(), timeout=0.001)
        try:
            list(call)
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED, error
        else:
            raise AssertionError("the call did not time out")
        finally:
            blocker.set()

    # Helpers

    def _raw_call(self, path, body, extra=()):
        client = h2client.RawClient(self.port)
        try:
            return client.call(path, body, extra=[("grpc-accept-encoding", "gzip"), *extra])
        finally:
            client.close()

    @staticmethod
    def _check_echo(call):
        initial = dict(call.initial_metadata())
        trailing = dict(call.trailing_metadata())
        assert initial.get("x-grpc-test-echo-initial") == "test_initial_metadata_value", initial
        assert trailing.get("x-grpc-test-echo-trailing-bin") == b"\xab\xab\xab", trailing

    def _expect_echoed_status(self, message, unary_only=False):
        status = messages.EchoStatus(code=2, message=message)
        error = expect_code(grpc.StatusCode.UNKNOWN, self.stub.UnaryCall,
                            messages.SimpleRequest(response_status=status), timeout=TIMEOUT)
        assert error.details() == message, repr(error.details())
        if unary_only:
            return
        call = self.stub.FullDuplexCall(
            iter([messages.StreamingOutputCallRequest(response_status=status)]), timeout=TIMEOUT)
        try:
            list(call)
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNKNOWN
            assert error.details() == message
        else:
            raise AssertionError("FullDuplexCall did not fail")


CASES = [
    "empty_unary", "large_unary", "client_compressed_unary", "server_compressed_unary",
    "client_streaming", "client_compressed_streaming", "server_streaming",
    "server_compressed_streaming", "ping_pong", "empty_stream", "custom_metadata",
    "status_code_and_message", "special_status_message", "unimplemented_method",
    "unimplemented_service", "cancel_after_begin", "cancel_after_first_response",
    "timeout_on_sleeping_server",
]
