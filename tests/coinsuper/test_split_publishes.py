"""QoS 0 PUBLISHes read straight from whole WebSocket frames (``split_publishes``) agree
with paho on every shape: a frame is taken exactly when paho reads its payload as one
complete QoS 0 PUBLISH that ``decode_publish`` accepts, with paho's topic and payload;
anything else (MQTT 3.1.1's other packet types, QoS 1 and 2 with their packet ids, flags,
remaining lengths of one to four bytes or malformed ones, topic length prefixes that do not
fit, empty topics, several packets or part of one a frame; control, continuation, masked,
64-bit-length or cut-off frames) is left to paho, which reads it as before. Then the same
streams through the transport, with and without the shortcut, deliver the same events."""

from __future__ import annotations

import contextlib
import struct
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exwire._core.transport import TransportClosed
from exwire.coinsuper import transport as transport_module
from exwire.coinsuper.protocol import CoinsuperProtocol
from exwire.coinsuper.signing import Login
from exwire.coinsuper.transport import MqttTransport, split_publishes
from tests.conftest import timeout

mqtt = pytest.importorskip("paho.mqtt.client")
packet_module = pytest.importorskip("paho.mqtt._packet")

from benchmarks.exchanges import coinsuper as bench  # noqa: E402
from benchmarks.wsserver import FloodServer  # noqa: E402

PROPERTY = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _varint(value: int, pad: int = 0) -> bytes:
    out = bytearray()
    while True:
        value, digit = divmod(value, 128)
        out.append(digit | (0x80 if value or pad else 0))
        if not value:
            break
    for number in range(pad):  # a longer (non-minimal) encoding of the same value
        out.append(0x80 if number < pad - 1 else 0)
    return bytes(out)


def _ws(payload: bytes, first: int = 0x82, masked: bool = False, long_form: bool = False) -> bytes:
    length = len(payload)
    mask = 0x80 if masked else 0
    if long_form or length > 65535:
        header = struct.pack("!BBQ", first, mask | 127, length)
    elif length < 126:
        header = struct.pack("!BB", first, mask | length)
    else:
        header = struct.pack("!BBH", first, mask | 126, length)
    return header + (b"\x00\x00\x00\x00" if masked else b"") + payload


class _Bytes:
    """A socket that holds ``data`` and then would block."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def recv(self, size: int) -> bytes:
        if not self.data:
            raise BlockingIOError
        out, self.data = self.data[:size], self.data[size:]
        return out

    def close(self) -> None:
        self.data = b""


def _paho_reads(payload: bytes) -> list[tuple[int, bytes]] | None:
    """The packets paho's own reader finds in ``payload``: ``(command, body)`` each, or
    ``None`` when it fails or ends inside a packet."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    packets: list[tuple[int, bytes]] = []

    def handle() -> Any:
        packets.append((client._in_packet["command"], bytes(client._in_packet["packet"])))
        return mqtt.MQTT_ERR_SUCCESS

    client._packet_handle = handle
    source = client._sock = _Bytes(payload)
    try:
        while source.data:
            if client._packet_read() != mqtt.MQTT_ERR_SUCCESS:
                return None
        return packets if client._in_packet["command"] == 0 else None
    finally:
        client._sock = None


def _expected(frame: bytes) -> tuple[bytes, bytes] | None:
    """What must be taken of one frame: paho's topic and payload, or ``None`` (paho reads it)."""
    if len(frame) < 2 or frame[0] != 0x82 or frame[1] & 0x80 or frame[1] & 0x7F == 127:
        return None
    length, start = frame[1], 2
    if length == 126:
        if len(frame) < 4:
            return None
        (length,), start = struct.unpack("!H", frame[2:4]), 4
    if length == 0 or len(frame) < start + length:
        return None
    packets = _paho_reads(frame[start:start + length])
    if packets is None or len(packets) != 1:
        return None
    command, body = packets[0]
    if command >> 4 != 3 or command & 0x06:
        return None
    try:
        decoded = packet_module.decode_publish(command, body, mqtt.MQTTv311)
    except packet_module.MalformedPacket:
        return None
    return bytes(decoded.topic), bytes(decoded.payload)


@st.composite
def _mqtt_packet(draw: st.DrawFn) -> bytes:
    """A packet of any shape: mostly PUBLISH, right or subtly wrong."""
    kind = draw(st.sampled_from([3] * 6 + [2, 4, 9, 11, 13, 0, 15]))
    flags = draw(st.sampled_from([0, 0, 0, 1, 8, 9, 2, 4, 6, 3]))
    topic = draw(st.binary(max_size=40) | st.just(b"exchange_ha_prod_hk/api/ws/v1/market/orderBook/BTC_USD/0.01"))
    payload = draw(st.binary(max_size=300) | st.sampled_from([b"", b"{}", b'{"n":1}']))
    packet_id = struct.pack("!H", draw(st.integers(0, 65535))) if draw(st.booleans()) else b""
    if kind != 3:
        body = draw(st.binary(max_size=8))
    else:
        prefix = len(topic) + draw(st.sampled_from([0, 0, 0, 0, 1, -1, 300, -len(topic) - 1]))
        body = struct.pack("!H", max(0, min(prefix, 65535))) + topic + packet_id + payload
        body = body[:draw(st.sampled_from([len(body)] * 5 + [0, 1, 2]))]
    remaining = len(body) + draw(st.sampled_from([0] * 8 + [1, -1, 2]))
    pad = draw(st.sampled_from([0] * 6 + [1, 2, 3, 4]))  # up to four bytes, or more (malformed)
    return bytes([kind << 4 | flags]) + _varint(max(0, remaining), pad) + body


@st.composite
def _frame(draw: st.DrawFn) -> bytes:
    payload = b"".join(draw(st.lists(_mqtt_packet(), min_size=1, max_size=3).filter(lambda p: len(p) == 1)
                            | st.lists(_mqtt_packet(), min_size=0, max_size=3)))
    if draw(st.integers(0, 9)) == 0:
        payload = payload[:draw(st.integers(0, len(payload)))]  # part of a packet
    first = draw(st.sampled_from([0x82] * 8 + [0x02, 0x80, 0x81, 0x89, 0x8A, 0x88, 0xC2, 0x92]))
    frame = _ws(payload, first, masked=draw(st.integers(0, 19)) == 0, long_form=draw(st.integers(0, 19)) == 0)
    if draw(st.integers(0, 19)) == 0:
        frame = frame[:draw(st.integers(0, len(frame)))]  # a frame cut off by the read
    return frame


def _publish_frame(topic: bytes, payload: bytes, flags: int = 0) -> bytes:
    body = struct.pack("!H", len(topic)) + topic + payload
    return _ws(bytes([0x30 | flags]) + _varint(len(body)) + body)


@PROPERTY
@given(st.lists(_frame(), min_size=1, max_size=6), st.integers(0, 3))
@example([_publish_frame(b"t", b"x" * 200)], 0)  # a 16-bit WebSocket length, a two-byte remaining length
@example([_publish_frame(b"t", b"", 1), _publish_frame(b"t", b"p", 8)], 0)  # RETAIN and DUP are ignored
@example([_ws(b"\x30\x00")], 0)  # no room for the topic length
@example([_ws(b"\x30\x05\x00\x00abc")], 0)  # an empty topic
@example([_ws(b"\x30\x80\x80\x80\x80\x01")], 0)  # a fifth remaining-length byte
@example([_ws(b"\x32\x07\x00\x01t\x00\x05ab")], 0)  # QoS 1: a packet id
@example([_ws(b"")], 0)
def test_frames_are_taken_exactly_when_paho_reads_one_qos0_publish_and_agree(frames: list[bytes], offset: int):
    stream = b"\x00" * offset + b"".join(frames)
    position, taken = split_publishes(stream, offset)
    expected: list[tuple[bytes, bytes]] = []
    stop = offset
    for frame in frames:
        result = _expected(frame)
        if result is None:
            break
        expected.append(result)
        stop += len(frame)
    assert taken == expected
    assert position == stop  # the first frame it declines starts where paho goes on reading


def test_the_remaining_length_takes_one_to_four_bytes():
    topic = b"a/b"
    for size in (0, 120, 200, 16_000, 20_000):
        body = struct.pack("!H", len(topic)) + topic + b"p" * size
        for pad in range(0, 5):
            header = b"\x30" + _varint(len(body), pad)
            frame = _ws(header + body)
            taken = split_publishes(frame, 0)[1]
            assert (taken == [(topic, b"p" * size)]) == (len(header) <= 5), (size, pad)
            assert (taken != []) == (_expected(frame) is not None)


# -- through the transport: the same events with and without the shortcut ----------------


def _stream() -> bytes:
    topic = bench.TOPIC.encode()
    frames = [_publish_frame(topic, b'{"n":%d}' % number) for number in range(50)]
    frames.append(_publish_frame(topic, b"r" * 70_000))  # a 64-bit WebSocket length: paho's
    frames.append(_ws(b"\x32" + _varint(len(topic) + 8) + struct.pack("!H", len(topic)) + topic + b"\x00\x07qos1"))
    frames.append(_ws(b"hi", 0x89))  # a ping between
    two = bench.publish(bench.TOPIC, b"first") + bench.publish(bench.TOPIC, b"second")
    frames.append(_ws(two))  # two packets a frame
    split = bench.publish(bench.TOPIC, b"split across frames")
    frames.extend([_ws(split[:5]), _ws(split[5:], 0x80)])  # a packet across a frame and a continuation
    frames.append(_publish_frame(topic, b"retained", 1))
    frames.extend(_publish_frame(topic, b"x" * size) for size in (0, 120, 300, 20_000))
    frames.append(_ws(b"\xd0\x00"))  # PINGRESP
    frames.extend(_publish_frame(topic, b'{"m":%d}' % number) for number in range(50))
    return b"".join(frames)


@contextlib.contextmanager
def _subscribed(shortcut: bool = True) -> Iterator[tuple[MqttTransport, Any]]:
    """A transport subscribed to the benchmark's order book topic on a flood server (its SUBACK
    read), with the server's end of the connection; closed after."""
    with FloodServer(bench.ENTRY.handler) as server:
        mark = server.mark()
        transport = MqttTransport(lambda: Login("bench", "user", "password"))
        transport.open(server.url("/mqtt"), timeout(5))
        try:
            assert transport._payloads is not None  # paho's layout as expected: the shortcut is on
            if not shortcut:
                transport._payloads = None
            transport.send(CoinsuperProtocol().subscribe([bench.TOPIC])[1])
            connection = server.connection_after(mark, timeout(5))
            while (frames := transport.recv_many(timeout(5))) is None or frames[-1].kind != "suback":  # type: ignore[union-attr]
                pass
            yield transport, connection
        finally:
            transport.close()


def _received(shortcut: bool) -> list[tuple[str | None, bytes, int | None]]:
    blob = _stream()
    taken.clear()
    with _subscribed(shortcut) as (transport, connection):
        connection.flood(blob)
        received: list[tuple[str | None, bytes, int | None]] = []
        deadline = time.monotonic() + timeout(10)
        while len(received) < 110 and time.monotonic() < deadline:
            for frame in transport.recv_many(0.5) or ():
                received.append((frame.topic, bytes(frame), frame.packet_id))  # type: ignore[union-attr]
        return received


taken: list[int] = []


@pytest.fixture
def counted(monkeypatch):
    """Count the frames the shortcut takes."""
    def split(data: bytes, position: int) -> tuple[int, list[tuple[bytes, bytes]]]:
        result = split_publishes(data, position)
        taken.append(len(result[1]))
        return result

    monkeypatch.setattr(transport_module, "split_publishes", split)


def test_the_transport_delivers_the_same_events_with_and_without_the_shortcut(counted):
    fast = _received(shortcut=True)
    assert sum(taken) > 90  # most frames went the short way
    assert len(fast) == 110 and fast[0] == (bench.TOPIC, b'{"n":0}', None) and fast[-1][1] == b'{"m":49}'
    assert (bench.TOPIC, b"qos1", 7) in fast and (bench.TOPIC, b"r" * 70_000, None) in fast
    assert fast == _received(shortcut=False) and sum(taken) == 0


def test_a_topic_that_is_not_utf8_read_the_short_way_is_handed_on_without_a_topic(counted):
    topic = bench.TOPIC.encode()
    blob = (_publish_frame(topic, b'{"n":0}') + _publish_frame(b"\xff\xfe", b"{}") + _publish_frame(topic, b'{"n":1}')
            + _publish_frame(topic, b'{"n":2}'))
    with _subscribed() as (transport, connection):
        taken.clear()
        connection.flood(blob)
        received: list[tuple[str | None, bytes]] = []
        deadline = time.monotonic() + timeout(10)
        while len(received) < 4 and time.monotonic() < deadline:
            received.extend((frame.topic, bytes(frame)) for frame in transport.recv_many(0.5) or ())
        # The protocol rejects the topic-less one, so the connection skips and counts it.
        assert received == [(bench.TOPIC, b'{"n":0}'), (None, b"{}"), (bench.TOPIC, b'{"n":1}'),
                            (bench.TOPIC, b'{"n":2}')]
        assert sum(taken) == 4  # every one the short way: the transport makes the read itself


def _cut_short_by_definition(data: bytes, position: int) -> bool:
    """Some bytes appended to ``data[position:]`` make a frame ``split_publishes`` would read
    whole (final, unmasked, binary, a 7- or 16-bit length) that is not whole yet."""
    rest = data[position:]
    if not rest or rest[0] != 0x82 or rest.startswith(b"\x82\x00"):
        return False
    if len(rest) == 1:
        return True
    length = rest[1]
    if length > 126:
        return False
    if length == 126:
        return len(rest) < 4 or len(rest) < 4 + struct.unpack("!H", rest[2:4])[0]
    return len(rest) < 2 + length


@PROPERTY
@given(st.binary(max_size=8), st.sampled_from([b"", b"\x82", b"\x82\x05ab", b"\x82\x7e", b"\x82\x7e\x01",
                                                b"\x82\x7e\x01\x00" + b"p" * 255, b"\x82\x7f\x00", b"\x81\x05ab",
                                                b"\x82\x85abc", b"\x82\x02ab", b"\x82\x00"]), st.binary(max_size=3))
def test_a_frame_still_arriving_is_told_from_every_other_tail(prefix, head, tail):
    data = prefix + head + tail
    assert transport_module._cut_short(data, len(prefix)) == _cut_short_by_definition(data, len(prefix))


def test_a_flood_across_many_socket_reads_is_read_without_paho(monkeypatch):
    """Frames that straddle the transport's 64 KiB reads are completed by its next read, not
    paho's: paho reads nothing of a flood of QoS 0 publishes but the SUBACK before it."""
    reads: list[int] = []
    original = mqtt.Client.loop_read

    def loop_read(self: Any, *args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(mqtt.Client, "loop_read", loop_read)
    topic = bench.TOPIC.encode()
    payloads = [b'{"n":%d,"pad":"%s"}' % (number, b"x" * (number % 700)) for number in range(2_000)]
    blob = b"".join(_publish_frame(topic, payload) for payload in payloads)
    assert len(blob) > 10 * 64 * 1024
    with _subscribed() as (transport, connection):
        reads.clear()
        connection.flood(blob)
        received: list[bytes] = []
        deadline = time.monotonic() + timeout(10)
        while len(received) < len(payloads) and time.monotonic() < deadline:
            received.extend(bytes(frame) for frame in transport.recv_many(0.5) or ())
        assert received == payloads
        # paho reads only where the rest of a frame had not come by the transport's read
        assert len(reads) < len(blob) // (64 * 1024) // 2


def test_the_end_of_the_stream_met_by_the_transports_read_is_the_loss_paho_reports():
    with _subscribed() as (transport, connection):
        connection.flood(_publish_frame(bench.TOPIC.encode(), b"last"))
        connection.close()
        received: list[bytes] = []
        deadline = time.monotonic() + timeout(10)
        with pytest.raises(TransportClosed):
            while time.monotonic() < deadline:
                received.extend(bytes(frame) for frame in transport.recv_many(0.5) or ())
        assert received == [b"last"]
