"""A QoS 0 PUBLISH goes from paho's packet reader and paho's PUBLISH decoder straight to
the transport's queue (``_abortable_client_class``); QoS 1 and 2 stay paho's own path
(the PUBACK is sent), and a malformed or non-UTF-8 PUBLISH is handled as paho did."""

from __future__ import annotations

import threading

import pytest

from exwire._core.transport import TransportClosed
from exwire.coinsuper.protocol import CoinsuperProtocol
from exwire.coinsuper.signing import Login
from exwire.coinsuper.transport import MqttTransport, _abortable_client_class
from exwire.errors import DecodeError
from tests.conftest import timeout

mqtt = pytest.importorskip("paho.mqtt.client")

from benchmarks.exchanges import coinsuper as bench  # noqa: E402
from benchmarks.wsserver import FloodServer  # noqa: E402

TOPIC = bench.TOPIC


def test_this_paho_has_the_publish_decoder_and_the_hook():
    import paho.mqtt._packet as packet

    assert callable(packet.decode_publish) and callable(mqtt.Client._handle_publish)
    client_class = _abortable_client_class(mqtt.Client)
    assert client_class.__dict__.get("_handle_publish") is not None  # the QoS 0 path is ours


class _Recording(bench.CoinsuperHandler):
    """The benchmark's broker, also noting each packet type the client sends."""

    def __init__(self) -> None:
        self.kinds: list[int] = []
        self.puback = threading.Event()

    def _packet(self, connection, kind, body):
        self.kinds.append(kind)
        if kind == 4:  # PUBACK
            connection.state["puback"] = body
            self.puback.set()
        super()._packet(connection, kind, body)


def _session(server):
    mark = server.mark()
    transport = MqttTransport(lambda: Login("bench", "user", "password"))
    transport.open(server.url("/mqtt"), timeout(5))
    transport.send(CoinsuperProtocol().subscribe([TOPIC])[1])
    while (frame := transport.recv(timeout(5))) is None or frame.kind != "suback":
        pass
    return transport, server.connection_after(mark, timeout(5))


def _next_publish(transport):
    while True:
        frame = transport.recv(timeout(5))
        assert frame is not None
        if frame.kind == "publish":
            return frame


def test_qos0_goes_through_the_hook_and_qos1_through_paho_with_its_puback():
    handlers: list[_Recording] = []

    def factory(path):
        handlers.append(_Recording())
        return handlers[-1]

    with FloodServer(factory) as server:
        transport, connection = _session(server)
        try:
            client = transport._client
            assert client.exwire_publish == transport._on_publish
            seen_by_paho: list[int] = []
            on_message = client.on_message
            client.on_message = lambda c, u, m: (seen_by_paho.append(m.qos), on_message(c, u, m))
            connection.send(bench.publish(TOPIC, b'{"n":0}'))
            frame = _next_publish(transport)
            assert (bytes(frame), frame.topic, frame.packet_id) == (b'{"n":0}', TOPIC, None)
            assert seen_by_paho == []  # QoS 0: not through on_message
            topic = bench._string(TOPIC)
            body = topic + b"\x01\x02" + b'{"n":1}'
            connection.send(b"\x32" + bench._length(len(body)) + body)  # QoS 1, packet id 0x0102
            frame = _next_publish(transport)
            assert (bytes(frame), frame.topic, frame.packet_id) == (b'{"n":1}', TOPIC, 0x0102)
            assert seen_by_paho == [1]
            assert handlers[-1].puback.wait(timeout(5))  # paho acknowledged it
            assert connection.state["puback"] == b"\x01\x02"
        finally:
            transport.close()


def test_a_topic_that_is_not_utf8_is_handed_on_without_a_topic_for_the_protocol_to_reject():
    with FloodServer(bench.ENTRY.handler) as server:
        transport, connection = _session(server)
        try:
            bad = b"\x00\x02\xff\xfe" + b"{}"
            connection.send(b"\x30" + bench._length(len(bad)) + bad)
            connection.send(bench.publish(TOPIC, b'{"n":2}'))
            frame = _next_publish(transport)
            assert frame.topic is None and bytes(frame) == b"{}"
            with pytest.raises(DecodeError, match="not UTF-8"):  # the connection logs, skips and counts it
                CoinsuperProtocol().receive(frame)
            frame = _next_publish(transport)
            assert frame.topic == TOPIC and bytes(frame) == b'{"n":2}'
        finally:
            transport.close()


def test_a_malformed_qos0_publish_ends_the_session_as_paho_does():
    with FloodServer(bench.ENTRY.handler) as server:
        transport, connection = _session(server)
        try:
            connection.send(b"\x30\x02\x00\x00")  # an empty topic: MQTT 3.1.1 §4.7.3 forbids it
            with pytest.raises(TransportClosed):
                for _ in range(20):
                    transport.recv(timeout(5))
        finally:
            transport.close()
