"""paho's WebSocket wrapper read a whole frame payload at a time (``_PayloadReadAhead``):
paho still parses every WebSocket frame and MQTT packet, whatever the framing."""

from __future__ import annotations

import time

import pytest

from exwire.coinsuper.protocol import CoinsuperProtocol
from exwire.coinsuper.signing import Login
from exwire.coinsuper.transport import MqttTransport, _PayloadReadAhead
from tests.conftest import timeout

pytest.importorskip("paho.mqtt.client")

from benchmarks.exchanges import coinsuper as bench  # noqa: E402
from benchmarks.wsserver import BINARY, FloodServer, encode_frame  # noqa: E402

_PING = 0x9
_CONTINUATION = 0x0


class _Wrapper:
    """Stands in for paho's wrapper: returns scripted results of ``recv``."""

    def __init__(self, results):
        self.results = list(results)
        self.asked: list[int] = []

    def recv(self, size):
        self.asked.append(size)
        result = self.results.pop(0)
        if isinstance(result, BaseException):
            raise result
        return result

    def fileno(self):
        return 7


class _Inner:
    buffered = 3


def test_small_reads_are_served_from_one_payload_and_errors_pass_through():
    wrapper = _Wrapper([b"\x30\x05abcde", BlockingIOError(), b"xyz", b""])
    reader = _PayloadReadAhead(wrapper, _Inner())  # type: ignore[arg-type]
    assert reader.recv(1) == b"\x30" and reader.recv(1) == b"\x05" and reader.recv(5) == b"abcde"
    assert reader.buffered == 3  # the inner read-ahead's bytes count too
    with pytest.raises(BlockingIOError):
        reader.recv(1)
    assert reader.recv(10) == b"xyz"  # fewer than asked, as a socket
    assert reader.recv(1) == b""  # end of stream
    assert len(wrapper.asked) == 4 and reader.fileno() == 7


def _packets(count: int) -> list[bytes]:
    return [bench.publish(bench.TOPIC, b'{"n":%d}' % number) for number in range(count)]


@pytest.mark.parametrize("layout", ["two packets a frame", "packets split across frames", "pings between"])
def test_paho_reads_every_packet_in_order_whatever_the_framing(layout):
    packets = _packets(300)
    if layout == "two packets a frame":
        blob = b"".join(encode_frame(packets[i] + packets[i + 1], BINARY) for i in range(0, 300, 2))
    elif layout == "packets split across frames":
        stream = b"".join(packets)
        pieces = [stream[i:i + 7] for i in range(0, len(stream), 7)]
        blob = b"".join(encode_frame(piece, BINARY if i % 2 else _CONTINUATION) for i, piece in enumerate(pieces))
    else:
        blob = b"".join(encode_frame(packet, BINARY) + encode_frame(b"hi", _PING) for packet in packets)
    with FloodServer(bench.ENTRY.handler) as server:
        mark = server.mark()
        transport = MqttTransport(lambda: Login("bench", "user", "password"))
        transport.open(server.url("/mqtt"), timeout(5))
        try:
            assert isinstance(transport._reader, _PayloadReadAhead)
            transport.send(CoinsuperProtocol().subscribe([bench.TOPIC])[1])
            connection = server.connection_after(mark, timeout(5))
            while (frame := transport.recv(timeout(5))) is None or frame.kind != "suback":
                pass
            connection.flood(blob)
            received = []
            deadline = time.monotonic() + timeout(10)
            while len(received) < 300 and time.monotonic() < deadline:
                frame = transport.recv(0.5)
                if frame is not None and frame.kind == "publish":
                    received.append(bytes(frame))
            assert received == [b'{"n":%d}' % number for number in range(300)]
        finally:
            transport.close()
