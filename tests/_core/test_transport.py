"""The read-ahead WebSocket frame reader, fed raw server frames over a socket pair."""

from __future__ import annotations

import socket
import struct

import pytest

from exwire._core.transport import TransportClosed, WebSocketTransport
from tests.conftest import timeout


class _StubWebSocket:
    def __init__(self):
        self.pongs = []
        self.closes = 0
        self.close_payloads = []
        self.connected = True

    def pong(self, payload):
        self.pongs.append(payload)

    def send(self, payload, opcode=1):
        if opcode == 8:  # a Close frame
            self.closes += 1
            self.close_payloads.append(payload)

    def send_close(self):
        self.closes += 1

    def abort(self):
        pass

    def shutdown(self):
        pass


def _controls_on_the_stub(transport: WebSocketTransport) -> None:
    """Tests that read the pongs and Closes the stub received: with kernel limits the
    transport writes control frames itself (test_kernel_limits_write_control_frames_on_the_socket)."""
    if transport._blocking:
        pytest.skip("control frames are written to the socket, not through websocket-client")


def frame(opcode: int, payload: bytes, *, final: bool = True, mask: bytes | None = None) -> bytes:
    first = (0x80 if final else 0) | opcode
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", first, (0x80 if mask else 0) | length)
    elif length < 65536:
        header = struct.pack("!BBH", first, (0x80 if mask else 0) | 126, length)
    else:
        header = struct.pack("!BBQ", first, (0x80 if mask else 0) | 127, length)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return header + mask + payload
    return header + payload


@pytest.fixture(params=[None, 5.0, "kernel"], ids=["blocking", "timeout", "kernel-limits"])
def pair(request):
    # A socket with a timeout is read with read(2) on its non-blocking descriptor; a
    # blocking one under the write lock with the timeout set to 0 for the read; one with
    # kernel limits (what open() makes of plain TCP) with recv(2), waiting in it.
    server, client = socket.socketpair()
    client.settimeout(5.0 if request.param == "kernel" else request.param)
    transport = WebSocketTransport()
    transport._ws = _StubWebSocket()
    transport._attach(client)
    if request.param == "kernel":
        reader = transport._reader
        assert reader is not None
        if not reader.block_reads(0.1, 5.0):
            pytest.skip("no MSG_DONTWAIT here")
        transport._blocking = True
    yield transport, server
    server.close()
    client.close()


def test_many_frames_in_one_chunk_come_out_one_by_one(pair):
    transport, server = pair
    server.sendall(b"".join(frame(1, f'{{"n":{i}}}'.encode()) for i in range(100)))
    assert [transport.recv(1.0) for _ in range(100)] == [f'{{"n":{i}}}' for i in range(100)]


def test_frames_split_across_reads_and_all_length_forms(pair):
    transport, server = pair
    payloads = [b"a" * 10, b"b" * 300, b"c" * 70000]
    data = b"".join(frame(2, p) for p in payloads)
    for start in range(0, len(data), 7777):  # arbitrary cut points, header bytes included
        server.sendall(data[start : start + 7777])
    assert [transport.recv(1.0) for _ in payloads] == payloads


def test_fragments_are_joined_around_a_ping(pair):
    transport, server = pair
    _controls_on_the_stub(transport)
    server.sendall(frame(1, b'{"par', final=False) + frame(9, b"hi") + frame(0, b't":1}'))
    assert transport.recv(1.0) == '{"part":1}'
    assert transport._ws.pongs == [b"hi"]


def test_masked_frames_fail_the_connection(pair):
    # RFC 6455 §5.1: a client MUST close the connection on a masked server frame.
    transport, server = pair
    server.sendall(frame(1, b"hello", mask=b"\x01\x02\x03\x04"))
    with pytest.raises(TransportClosed) as raised:
        transport.recv(1.0)
    assert raised.value.code == 1002


def test_quiet_socket_returns_none_after_the_tick(pair):
    transport, _ = pair
    assert transport.recv(0.01) is None


def test_close_frame_is_answered_and_reports_its_code(pair):
    transport, server = pair
    _controls_on_the_stub(transport)
    server.sendall(frame(8, struct.pack("!H", 4001) + b"bye"))
    with pytest.raises(TransportClosed) as raised:
        transport.recv(1.0)
    assert raised.value.code == 4001 and raised.value.reason == "bye"
    assert transport._ws.closes == 1  # answered once, echoing the code (RFC 6455 §5.5.1)
    assert transport._ws.close_payloads[0][:2] == struct.pack("!H", 4001)


def test_end_of_stream_is_a_closed_transport(pair):
    transport, server = pair
    server.shutdown(socket.SHUT_WR)
    with pytest.raises(TransportClosed):
        transport.recv(1.0)


def test_invalid_utf8_text_fails_the_connection_with_1007(pair):
    transport, server = pair
    server.sendall(frame(1, b"\xff\xfe"))
    with pytest.raises(TransportClosed) as raised:
        transport.recv(1.0)
    assert raised.value.code == 1007


def test_control_frames_count_as_activity(pair):
    transport, server = pair
    _controls_on_the_stub(transport)
    server.sendall(frame(9, b""))
    assert transport.recv(0.05) is None  # the ping is answered, nothing to deliver
    assert transport.last_activity > 0 and transport._ws.pongs == [b""]


def test_take_buffered_hands_out_frames_already_read_without_io(pair):
    transport, server = pair
    _controls_on_the_stub(transport)
    server.sendall(frame(1, b"one") + frame(9, b"") + frame(1, b"two") + frame(1, b"thr"))
    assert transport.recv(1.0) == "one"
    assert transport.take_buffered() == "two"  # the ping between them is answered on the way
    assert transport.take_buffered() == "thr"
    assert transport.take_buffered() is None  # nothing more read: no socket I/O either
    assert transport._ws.pongs == [b""]


def test_frame_ready_tells_whether_recv_would_block(pair):
    transport, server = pair
    assert not transport.frame_ready()
    data = frame(1, b"x" * 300) + frame(1, b"y")
    server.sendall(data[:100])  # a partial frame only
    assert transport.recv(0.05) is None
    assert not transport.frame_ready()
    server.sendall(data[100:])
    assert transport.recv(1.0) == "x" * 300
    assert transport.frame_ready()
    assert transport.recv(1.0) == "y"
    assert not transport.frame_ready()


def test_recv_many_returns_every_whole_frame_read_and_stops_at_a_partial_one(pair):
    transport, server = pair
    _controls_on_the_stub(transport)
    data = frame(1, b"one") + frame(9, b"") + frame(1, b"two") + frame(2, b"\x00three") + frame(1, b"x" * 300)
    server.sendall(data[:-100])  # the last frame is cut
    assert transport.recv_many(1.0) == ["one", "two", b"\x00three"]  # the ping between them is answered
    assert transport._ws.pongs == [b""]
    assert transport.recv_many(0.05) is None  # the rest of the cut frame has not come
    server.sendall(data[-100:])
    assert transport.recv_many(1.0) == ["x" * 300]
    assert not transport.frame_ready()


def test_recv_many_raises_a_failure_behind_returned_frames_on_the_next_call(pair):
    transport, server = pair
    _controls_on_the_stub(transport)
    server.sendall(frame(1, b"one") + frame(1, b"two") + frame(1, b"masked", mask=b"\x01\x02\x03\x04") + frame(1, b"late"))
    assert transport.recv_many(1.0) == ["one", "two"]  # what came before the bad frame
    with pytest.raises(TransportClosed) as raised:
        transport.recv_many(1.0)
    assert raised.value.code == 1002 and transport._ws.closes == 1
    with pytest.raises(TransportClosed):  # and nothing after it, ever
        transport.recv_many(1.0)


def _parse_client_frame(data: bytes) -> tuple[int, bool, bytes]:
    """(first header byte, masked, unmasked payload) of one whole client frame."""
    first, second = data[0], data[1]
    length, offset = second & 0x7F, 2
    if length == 126:
        length, offset = struct.unpack("!H", data[2:4])[0], 4
    elif length == 127:
        length, offset = struct.unpack("!Q", data[2:10])[0], 10
    key = data[offset : offset + 4]
    body = data[offset + 4 :]
    assert len(body) == length
    return first, bool(second & 0x80), bytes(b ^ key[i % 4] for i, b in enumerate(body))


@pytest.mark.parametrize("length", [0, 1, 3, 4, 125, 126, 65535, 65536, 70001])
def test_client_frames_are_masked_with_the_shortest_length_form(length):
    from exwire._core.transport import MaskKeys, client_frame

    payload = bytes((i * 7 + 3) % 256 for i in range(length))
    data = client_frame(0x82, payload, MaskKeys())
    first, masked, unmasked = _parse_client_frame(data)
    assert (first, masked, unmasked) == (0x82, True, payload)
    header = 2 if length < 126 else 4 if length < 65536 else 10
    assert len(data) == header + 4 + length  # RFC 6455 §5.2: the shortest length form


def test_every_client_frame_has_its_own_masking_key():
    from exwire._core.transport import MaskKeys, client_frame

    keys = MaskKeys()
    frames = [client_frame(0x81, b"same", keys) for _ in range(3000)]  # past one 4 KiB pool
    assert len({data[2:6] for data in frames}) > 2990  # 32-bit random keys: a few collisions at most
    assert all(_parse_client_frame(data)[2] == b"same" for data in frames)


def test_send_writes_text_and_binary_frames_the_server_reads(pair):
    transport, server = pair

    class Sock:
        def __init__(self):
            self.sent = []

        def sendall(self, data):
            self.sent.append(data)

    sock = transport._sock = Sock()  # type: ignore[assignment]
    transport._plain = False
    transport.send('{"event":"ping"}')
    transport.send(b"\x00\x01")
    assert [_parse_client_frame(d) for d in sock.sent] == [(0x81, True, b'{"event":"ping"}'), (0x82, True, b"\x00\x01")]


@pytest.mark.parametrize("size", [20, 3_000_000])  # one write; more than the socket buffer holds
def test_send_on_a_socket_with_a_timeout_writes_the_whole_frame(pair, size):
    import threading

    transport, server = pair
    client_socket = transport._reader.sock
    transport._ws.sock = client_socket
    assert transport._sock is client_socket
    payload = bytes(i % 251 for i in range(size))
    expected = len(payload) + (2 if size < 126 else 4 if size < 65536 else 10) + 4
    received = bytearray()

    def read_all() -> None:
        while len(received) < expected:
            chunk = server.recv(1 << 20)
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=read_all)
    reader.start()
    try:
        transport.send(payload)
    finally:
        reader.join(timeout(10))
    assert not reader.is_alive()
    assert _parse_client_frame(bytes(received)) == (0x82, True, payload)


_FRAME_KINDS = [
    ("text", lambda n: frame(1, b"t" * n)),
    ("text-multibyte", lambda n: frame(1, "é".encode() * n)),
    ("text-not-utf8", lambda n: frame(1, b"ok\xff" + b"x" * n)),
    ("binary", lambda n: frame(2, bytes(range(256)) * (n // 256) + b"\x00" * (n % 256))),
    ("ping", lambda n: frame(9, b"p" * min(n, 125))),
    ("pong", lambda n: frame(10, b"")),
    ("fragmented", lambda n: frame(1, b"a" * n, final=False) + frame(9, b"") + frame(0, b"b")),
    ("64-bit-length", lambda n: frame(1, b"L" * 65536)),
    ("masked", lambda n: frame(1, b"m", mask=b"\x01\x02\x03\x04")),
    ("rsv", lambda n: bytes([0xC1, 1]) + b"r"),
    ("oversized", lambda n: frame(1, b"o" * 2000)),
]


def _read_all(data: bytes, many: bool, kernel: bool) -> tuple[list[str | bytes], int | None]:
    """Every frame a transport yields from ``data`` (one read at a time or many), and the close code it met."""
    server, client = socket.socketpair()
    client.settimeout(5.0)
    transport = WebSocketTransport()
    transport._max_message_size = 1500
    transport._ws = _StubWebSocket()
    transport._attach(client)
    if kernel:
        reader = transport._reader
        assert reader is not None
        if not reader.block_reads(0.1, 5.0):
            server.close()
            client.close()
            pytest.skip("no MSG_DONTWAIT here")
        transport._blocking = True
    out: list[str | bytes] = []
    try:
        server.sendall(data)
        server.shutdown(socket.SHUT_WR)
        while True:
            try:
                if many:
                    got = transport.recv_many(timeout(1.0))
                    assert got  # the data is all there: never None, never empty
                    out.extend(got)
                else:
                    one = transport.recv(timeout(1.0))
                    assert one is not None
                    out.append(one)
            except TransportClosed as exc:
                return out, exc.code
    finally:
        server.close()
        client.close()


@pytest.mark.parametrize("kernel", [False, True], ids=["timeout", "kernel-limits"])
@pytest.mark.parametrize("seed", range(40))
def test_recv_many_yields_exactly_what_recv_yields(seed, kernel):
    # recv_many slices common frames inline and leaves the rest to the per-frame reader:
    # on any mix of frames, the frames and the failure must be the same as recv's.
    import random

    rng = random.Random(seed)
    data = b"".join(rng.choice(_FRAME_KINDS)[1](rng.choice([0, 1, 125, 126, 127, 300, 1499, 1501]))
                    for _ in range(rng.randint(1, 12)))
    assert _read_all(data, many=True, kernel=kernel) == _read_all(data, many=False, kernel=kernel)


# -- plain TCP with kernel limits (SerialisedReader.block_reads, what open() sets up) ------------

@pytest.fixture
def kernel_pair():
    server, client = socket.socketpair()
    client.settimeout(5.0)
    transport = WebSocketTransport()
    transport._ws = _StubWebSocket()
    transport._attach(client)
    reader = transport._reader
    assert reader is not None
    if not reader.block_reads(0.1, 0.3):
        pytest.skip("no MSG_DONTWAIT here")
    transport._blocking = True
    assert client.gettimeout() is None  # a blocking descriptor: the limits are the kernel's
    yield transport, server
    server.close()
    client.close()


def test_kernel_limits_write_control_frames_on_the_socket(kernel_pair):
    transport, server = kernel_pair
    server.sendall(frame(9, b"hi") + frame(1, b"{}"))
    assert transport.recv(timeout(5)) == "{}"
    assert transport.ping() is True
    server.sendall(frame(8, struct.pack("!H", 1000)))
    with pytest.raises(TransportClosed):
        transport.recv(timeout(5))
    data = b""
    server.settimeout(timeout(5))
    while len(data) < 3 * 6 + 2 + 2:  # pong "hi", ping, close 1000: headers, keys, payloads
        chunk = server.recv(1000)
        assert chunk
        data += chunk
    frames = []
    while data:
        length = data[1] & 0x7F
        frames.append(_parse_client_frame(data[: 6 + length]))
        data = data[6 + length :]
    assert frames == [(0x8A, True, b"hi"), (0x89, True, b""), (0x88, True, struct.pack("!H", 1000))]
    assert transport._ws.pongs == []  # none went through websocket-client


def test_kernel_limits_a_read_waits_in_recv_for_bytes_that_come_later(kernel_pair):
    import threading

    transport, server = kernel_pair
    later = threading.Timer(0.3, server.sendall, args=(frame(1, b'{"late":1}'),))
    later.start()
    try:
        assert transport.recv_many(timeout(5)) == ['{"late":1}']  # past several 0.1 s read limits
    finally:
        later.cancel()
        later.join()
    assert transport.recv_many(0.0) is None  # nothing more: MSG_DONTWAIT, no wait


@pytest.mark.parametrize("seconds", [0.05, 0.35])  # under the read limit (a poll), over it (in recv)
def test_kernel_limits_a_read_ends_at_its_timeout_not_before(kernel_pair, seconds):
    import time

    transport, server = kernel_pair
    started = time.monotonic()
    assert transport.recv_many(seconds) is None
    elapsed = time.monotonic() - started
    assert seconds <= elapsed < seconds + timeout(1)


def test_kernel_limits_a_write_into_a_full_socket_fails_after_the_write_limit(kernel_pair):
    import time

    transport, server = kernel_pair
    started = time.monotonic()
    with pytest.raises(TransportClosed):
        for _ in range(100):  # the peer reads nothing: its buffer and ours fill up
            transport.send(b"x" * 1_000_000)
    assert time.monotonic() - started < timeout(5)  # the 0.3 s write limit, not forever
