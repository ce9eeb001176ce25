"""MqttTransport: paho-mqtt behind the Transport seam, against the emulator over loopback."""

from __future__ import annotations

import threading
import time

import pytest

from exwire import AuthenticationError, ConfigurationError, Credentials
from exwire._core.transport import TransportClosed
from exwire.coinsuper.protocol import CoinsuperProtocol, MqttFrame
from exwire.coinsuper.signing import private_login, public_login
from exwire.coinsuper.transport import Endpoint, MqttTransport, parse_endpoint
from exwire.testing.coinsuper import DEMO_CREDENTIALS, CoinsuperEmulator
from tests.conftest import timeout
from tests.helpers import wait_until

ORDERS = "exchange_ha_prod_hk/ws/personal/v1/order/change/demouser@demo.domain"


@pytest.mark.parametrize(
    "url, endpoint",
    [
        ("wss://api-mqtt-premium.coinsuper.com:443/mqtt",
         Endpoint("api-mqtt-premium.coinsuper.com", 443, True, True, "/mqtt")),
        ("wss://example.com", Endpoint("example.com", 443, True, True, "/mqtt")),
        ("ws://127.0.0.1:8080/", Endpoint("127.0.0.1", 8080, True, False, "/")),
        ("ws://h/ws?x=1", Endpoint("h", 80, True, False, "/ws?x=1")),
        ("mqtt://mqtt.coinsuper.com:1883", Endpoint("mqtt.coinsuper.com", 1883, False, False, "/mqtt")),
        ("tcp://h", Endpoint("h", 1883, False, False, "/mqtt")),
        ("mqtts://h", Endpoint("h", 8883, False, True, "/mqtt")),
    ],
)
def test_parse_endpoint(url, endpoint):
    assert parse_endpoint(url) == endpoint


@pytest.mark.parametrize("url", ["http://h/mqtt", "wss://", "mqtt://h:notaport", "h:1883"])
def test_parse_endpoint_refuses_other_urls(url):
    with pytest.raises(ConfigurationError):
        parse_endpoint(url)


@pytest.fixture
def emu():
    with CoinsuperEmulator(push_interval=0.05) as emulator:
        yield emulator


def private_transport(credentials: Credentials = DEMO_CREDENTIALS, **options) -> MqttTransport:
    return MqttTransport(lambda: private_login(credentials, time.time_ns() // 1_000_000), **options)


def test_open_refused_by_connack_raises_the_mapped_error(emu):
    transport = private_transport(Credentials(key="zhangsan", secret="bad", email="demouser@demo.domain"))
    with pytest.raises(AuthenticationError) as caught:
        transport.open(emu.url, timeout(5))
    assert caught.value.code == 4
    with pytest.raises(TransportClosed):
        transport.recv(0.01)


def test_open_fails_with_oserror_when_nothing_listens():
    with CoinsuperEmulator() as emulator:
        url = emulator.url
    with pytest.raises(OSError):
        private_transport().open(url, timeout(2))


def test_subscribe_from_another_thread_wakes_the_reader(emu):
    transport = private_transport()
    transport.open(emu.url, timeout(5))
    frames: list[MqttFrame] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                frame = transport.recv(30.0)  # long: only a wake-up gets it out early
                if frame is not None:
                    frames.append(frame)
        except TransportClosed:
            pass

    reader = threading.Thread(target=read, name="test-mqtt-reader", daemon=True)
    reader.start()
    try:
        key, frame = CoinsuperProtocol().subscribe([ORDERS])
        transport.send(frame)
        wait_until(lambda: len(frames) >= 2)
        suback, publish = frames[:2]
        assert (suback.kind, suback.ref, suback.codes) == ("suback", key[1], (0,))
        assert publish.kind == "publish" and publish.topic == ORDERS and b'"orderNo"' in publish
    finally:
        stop.set()
        started = time.monotonic()
        transport.close()
        reader.join(timeout(5))
    assert not reader.is_alive() and time.monotonic() - started < timeout(2)
    assert emu.wait_for(lambda: not emu.sessions(), timeout(5))  # DISCONNECT reached the broker


def test_recv_returns_none_when_quiet_and_raises_after_a_drop(emu):
    topic = "exchange_ha_prod_hk/api/ws/v1/market/depth/BTC_USD"
    transport = MqttTransport(lambda: public_login(DEMO_CREDENTIALS, topic))
    transport.open(emu.url, timeout(5))
    try:
        assert transport.recv(0.05) is None
        emu.drop_connections()
        with pytest.raises(TransportClosed, match="connection lost"):
            deadline = time.monotonic() + timeout(5)
            while time.monotonic() < deadline:
                transport.recv(0.1)
        with pytest.raises(TransportClosed):
            transport.send(CoinsuperProtocol().subscribe([topic])[1])
    finally:
        transport.close()
        transport.close()


def client_side_threads() -> set[threading.Thread]:
    # The emulator's own threads (and websockets' unnamed readers) are the server side.
    return {t for t in threading.enumerate()
            if not t.name.startswith("exwire-emulator") and not t.name.endswith("(recv_events)")}


def test_no_paho_thread_is_ever_started(emu):
    before = client_side_threads()
    transport = private_transport()
    transport.open(emu.url, timeout(5))
    transport.send(CoinsuperProtocol().subscribe([ORDERS])[1])
    assert transport.recv(timeout(5)) is not None
    assert client_side_threads() == before  # paho's loop runs only inside recv, on the caller
    transport.close()


# -- read-ahead: paho's small reads served from one buffer ----------------------------------


class _CountingSocket:
    """A socket stand-in for _ReadAhead: hands out queued chunks and counts the reads."""

    def __init__(self, *chunks) -> None:
        self.chunks = list(chunks)
        self.reads = 0

    def recv(self, size: int) -> bytes:
        self.reads += 1
        item = self.chunks.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item[:size]

    def fileno(self) -> int:
        return 42


def test_read_ahead_serves_small_reads_from_one_socket_read():
    from exwire.coinsuper.transport import _ReadAhead

    sock = _CountingSocket(b"\x30\x05abcde\x30\x02xy", BlockingIOError(), b"z", b"")
    reader = _ReadAhead(sock)  # type: ignore[arg-type]
    assert reader.recv(1) == b"\x30" and reader.buffered == 10 and reader.pending() == 10
    assert [reader.recv(1), reader.recv(5), reader.recv(1), reader.recv(1)] == [b"\x05", b"abcde", b"\x30", b"\x02"]
    assert reader.recv(5) == b"xy"  # fewer than asked, like a socket: what is buffered
    assert sock.reads == 1
    with pytest.raises(BlockingIOError):  # the socket's own would-block reaches paho
        reader.recv(1)
    assert reader.recv(4) == b"z" and reader.recv(1) == b""  # end of stream passes through
    assert reader.fileno() == 42  # everything else is the socket's


def test_a_fill_keeps_unread_bytes_and_leaves_what_else_it_met_for_the_next_read():
    from exwire.coinsuper.transport import _ReadAhead

    sock = _CountingSocket(b"abcdef", BlockingIOError(), b"gh", ConnectionResetError("reset"), b"ij")
    reader = _ReadAhead(sock)  # type: ignore[arg-type]
    assert reader.fill() and reader.recv(4) == b"abcd"
    assert not reader.fill() and reader.buffered == 2  # a would-block keeps nothing
    assert reader.fill() and reader.buffered == 4  # behind the two not handed out yet
    assert not reader.fill() and not reader.fill() and sock.reads == 4  # the error is kept; no read past it
    assert reader.recv(10) == b"efgh"  # the bytes first
    with pytest.raises(ConnectionResetError):  # then the error, exactly as the socket raised it
        reader.recv(1)
    assert reader.recv(2) == b"ij" and sock.reads == 5  # given once: the socket is read again


def test_an_end_of_stream_met_by_a_fill_reaches_the_next_read():
    from exwire.coinsuper.transport import _ReadAhead

    sock = _CountingSocket(b"xy", b"")
    reader = _ReadAhead(sock)  # type: ignore[arg-type]
    assert reader.fill() and not reader.fill()
    assert reader.recv(5) == b"xy" and reader.recv(5) == b"" and sock.reads == 2


def _burst(emu, url: str, count: int) -> tuple[list[MqttFrame], MqttTransport]:
    topic = ORDERS
    transport = private_transport()
    transport.open(url, timeout(5))
    transport.send(CoinsuperProtocol().subscribe([topic])[1])
    frames: list[MqttFrame] = []
    while not any(f.kind == "suback" for f in frames):
        frame = transport.recv(timeout(5))
        assert frame is not None
        frames.append(frame)
    for number in range(count):
        emu.publish_raw(topic, b'{"n":%d}' % number)
    received = []
    deadline = time.monotonic() + timeout(10)
    while len(received) < count and time.monotonic() < deadline:
        frame = transport.recv(0.5)
        if frame is not None and frame.topic == topic and frame.startswith(b'{"n":'):
            received.append(frame)
    return received, transport


@pytest.mark.parametrize("scheme", ["ws", "tcp"])
def test_a_burst_of_publishes_is_read_ahead_and_arrives_in_order(scheme):
    from exwire.coinsuper.transport import _PayloadReadAhead, _ReadAhead

    with CoinsuperEmulator(push_interval=60.0, tcp=True) as emu:
        received, transport = _burst(emu, emu.url if scheme == "ws" else emu.tcp_url, 500)
        try:
            # This paho's socket layout was recognised (else the session reads unbuffered).
            assert isinstance(transport._reader, _PayloadReadAhead if scheme == "ws" else _ReadAhead)
            assert [bytes(frame) for frame in received] == [b'{"n":%d}' % n for n in range(500)]
        finally:
            transport.close()


def test_frame_ready_is_true_exactly_while_recv_has_an_event_queued():
    with CoinsuperEmulator(push_interval=60.0) as emu:
        received, transport = _burst(emu, emu.url, 300)
        try:
            assert [bytes(frame) for frame in received] == [b'{"n":%d}' % n for n in range(300)]
            assert not transport.frame_ready()  # everything read: recv would poll the socket
            queued = [MqttFrame.publish(ORDERS, b'{"n":%d}' % n) for n in range(3)]
            transport._inbox.extend(queued)  # what one poll leaves when it read several packets
            out = []
            while transport.frame_ready():
                out.append(transport.recv(0.0))  # never blocks, never polls
            assert out == queued and all(a is b for a, b in zip(out, queued))
            transport._inbox.extend(queued)
        finally:
            transport.close()
        assert not transport.frame_ready()  # closed: recv raises instead of returning them
