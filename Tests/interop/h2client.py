"""A small HTTP/2 gRPC client on the pure-Python `h2` stack, for what grpcio hides.

grpcio's API shows neither the compressed flag of a received message nor lets a client choose
it per message, and it cannot send malformed input. This client frames gRPC messages by hand
(flag byte, big-endian length, body) and reports everything the server sent back: headers,
each message with its flag, trailers, resets and GOAWAY. Every read is bounded by a timeout.
"""

from __future__ import annotations

import dataclasses
import gzip
import socket
import struct
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings


def frame(body: bytes, compressed: bool = False) -> bytes:
    """One gRPC length-prefixed message (gzip-compressed when `compressed`)."""
    if compressed:
        body = gzip.compress(body)
    return struct.pack(">BI", 1 if compressed else 0, len(body)) + body


def deframe(data: bytes) -> list[tuple[bool, bytes]]:
    """The messages in `data` as (compressed flag, inflated body)."""
    messages, offset = [], 0
    while offset + 5 <= len(data):
        flag, length = struct.unpack(">BI", data[offset:offset + 5])
        body = data[offset + 5:offset + 5 + length]
        offset += 5 + length
        messages.append((flag == 1, gzip.decompress(body) if flag == 1 else body))
    return messages


@dataclasses.dataclass
class Response:
    headers: dict = dataclasses.field(default_factory=dict)
    data: bytes = b""
    trailers: dict = dataclasses.field(default_factory=dict)
    reset: int | None = None
    ended: bool = False

    @property
    def messages(self):
        return deframe(self.data)

    @property
    def status(self):
        """grpc-status from the trailers, or from a trailers-only response's headers."""
        value = self.trailers.get("grpc-status", self.headers.get("grpc-status"))
        return None if value is None else int(value)

    @property
    def message(self):
        from urllib.parse import unquote
        value = self.trailers.get("grpc-message", self.headers.get("grpc-message", ""))
        return unquote(value)


class RawClient:
    """One HTTP/2 connection to 127.0.0.1:`port`."""

    def __init__(self, port: int, timeout: float = 5.0):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.socket.settimeout(timeout)
        self.timeout = timeout
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.initiate_connection()
        self.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20})
        self.conn.increment_flow_control_window(1 << 24)
        self.flush()
        self.responses: dict[int, Response] = {}
        self.goaway = None
        self.pings_answered = 0
        self.closed = False

    def close(self):
        try:
            self.socket.close()
        except OSError:
            pass

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.socket.sendall(data)

    @staticmethod
    def request_headers(path, extra=(), content_type="application/grpc"):
        headers = [(":method", "POST"), (":scheme", "http"), (":path", path),
                   (":authority", "localhost"), ("te", "trailers")]
        if content_type is not None:
            headers.append(("content-type", content_type))
        return headers + list(extra)

    def start(self, path, extra=(), content_type="application/grpc", end_stream=False) -> int:
        stream_id = self.conn.get_next_available_stream_id()
        self.conn.send_headers(stream_id, self.request_headers(path, extra, content_type),
                               end_stream=end_stream)
        self.responses[stream_id] = Response()
        self.flush()
        return stream_id

    def send(self, stream_id, data: bytes, end_stream=False):
        # Respect the server's flow control: wait for window as needed.
        offset = 0
        while offset < len(data) or (end_stream and offset == len(data) == 0):
            window = min(self.conn.local_flow_control_window(stream_id),
                         self.conn.max_outbound_frame_size)
            if window <= 0 and len(data) > 0:
                self.read_once()
                continue
            chunk = data[offset:offset + window]
            offset += len(chunk)
            self.conn.send_data(stream_id, chunk, end_stream=end_stream and offset >= len(data))
            self.flush()
            if not data:
                break

    def call(self, path, body: bytes, extra=(), content_type="application/grpc") -> Response:
        """A whole call: headers, `body` (already framed), half-close, then the response."""
        stream_id = self.start(path, extra, content_type)
        self.send(stream_id, body, end_stream=True)
        return self.wait(stream_id)

    def wait(self, stream_id) -> Response:
        deadline = time.monotonic() + self.timeout
        response = self.responses[stream_id]
        while not (response.ended or response.reset is not None) and not self.closed:
            if time.monotonic() > deadline:
                raise TimeoutError(f"stream {stream_id} did not end")
            self.read_once()
        return response

    def read_once(self, timeout: float | None = None):
        if timeout is not None:
            self.socket.settimeout(timeout)
        try:
            data = self.socket.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            self.closed = True
            return
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.closed = True
            return
        for event in events:
            self.handle(event)
        self.flush()

    def handle(self, event):
        response = self.responses.get(getattr(event, "stream_id", None))
        if isinstance(event, h2.events.ResponseReceived) and response is not None:
            response.headers = dict(event.headers)
        elif isinstance(event, h2.events.DataReceived):
            if response is not None:
                response.data += event.data
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.TrailersReceived) and response is not None:
            response.trailers = dict(event.headers)
        elif isinstance(event, h2.events.StreamEnded) and response is not None:
            response.ended = True
        elif isinstance(event, h2.events.StreamReset) and response is not None:
            response.reset = event.error_code
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.goaway = event
        elif isinstance(event, h2.events.PingReceived):
            self.pings_answered += 1  # h2 queued the ACK; flush() sends it

    def wait_closed(self, timeout=5.0) -> bool:
        """Reads until the server closes the connection; whether it did within `timeout`."""
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            try:
                self.read_once()
            except socket.timeout:
                pass
        return self.closed
